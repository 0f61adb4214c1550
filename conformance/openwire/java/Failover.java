// The failover transport across a broker restart, for conformance/openwire/failover.test.ts, which
// restarts the broker between the two halves. One connection over `failover:(tcp://…)`, a consumer
// and a producer on one queue:
//   1. sends before0..before9 (persistent), receives five of them, prints READY and waits for a
//      line on stdin (the test stops the broker, starts it again on the same port and data, and
//      writes the line; a closed stdin ends the wait too);
//   2. sends after0..after9 (the failover transport holds the sends until it has reconnected) and
//      receives until it has everything or nothing comes for a while; prints one JSON line.
//
//   java -cp ... Failover <failover-url> <queue>
//
// With a third argument `types`: sends a Map, an Object, a Stream and a plain Message (persistent,
// with a property each) before the restart and receives them after it, printing each one's JMS
// type and content: the message types survive the broker's store.
//
// With `groups`: sends two interleaved message groups (JMSXGroupID g1, g2; persistent) with no
// consumer before the restart; after it, two consumers with a prefetch of 1 take turns receiving
// until the queue is empty; prints what each got ("*": JMSXGroupFirstForConsumer, "+":
// redelivered): the stored messages keep their group, so each group goes to one consumer.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.transport.TransportListener;

public final class Failover {
  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      // the client's threads would keep the JVM alive: fail at once, with the reason
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    if (args.length > 2 && args[2].equals("types")) {
      types(args);
      return;
    }
    if (args.length > 2 && args[2].equals("groups")) {
      groups(args);
      return;
    }
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(args[0]);
    AtomicInteger interrupted = new AtomicInteger();
    AtomicInteger resumed = new AtomicInteger();
    Connection c = f.createConnection("guest", "guest");
    ((ActiveMQConnection) c).addTransportListener(new TransportListener() {
      @Override public void onCommand(Object command) { }
      @Override public void onException(IOException error) { }
      // (sic: ActiveMQ's interface spells it so)
      @Override public void transportInterupted() { interrupted.incrementAndGet(); }
      @Override public void transportResumed() { resumed.incrementAndGet(); }
    });
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue(args[1]);
    MessageProducer p = s.createProducer(q);
    p.setDeliveryMode(DeliveryMode.PERSISTENT);
    MessageConsumer consumer = s.createConsumer(q);
    for (int i = 0; i < 10; i++) p.send(s.createTextMessage("before" + i));
    List<String> beforeRestart = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Message m = consumer.receive(5000);
      if (m == null) break;
      beforeRestart.add(((TextMessage) m).getText());
    }
    System.out.println("READY");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in)).readLine();
    for (int i = 0; i < 10; i++) p.send(s.createTextMessage("after" + i));
    List<String> afterRestart = new ArrayList<>();
    // everything is sent by now: stop at 15 or after 10 s without a message
    while (afterRestart.size() < 15) {
      Message m = consumer.receive(10000);
      if (m == null) break;
      afterRestart.add(((TextMessage) m).getText());
    }
    // anything more would be a duplicate
    Message extra = consumer.receive(500);
    c.close();
    System.out.println("{\"beforeRestart\":" + Jms.strings(beforeRestart) + ",\"afterRestart\":" + Jms.strings(afterRestart)
        + ",\"extra\":" + (extra == null ? "null" : Jms.quote(((TextMessage) extra).getText()))
        + ",\"interrupted\":" + interrupted.get() + ",\"resumed\":" + resumed.get() + "}");
    System.exit(0);
  }

  static void types(String[] args) throws Exception {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(args[0]);
    Connection c = f.createConnection("guest", "guest");
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue(args[1]);
    MessageProducer p = s.createProducer(q);
    p.setDeliveryMode(DeliveryMode.PERSISTENT);
    javax.jms.MapMessage map = s.createMapMessage();
    map.setString("name", "widget");
    map.setInt("count", 3);
    map.setStringProperty("kind", "map");
    p.send(map);
    // a java.lang class: the client deserializes only trusted packages
    javax.jms.ObjectMessage object = s.createObjectMessage(Long.valueOf(1L << 40));
    object.setStringProperty("kind", "object");
    p.send(object);
    javax.jms.StreamMessage stream = s.createStreamMessage();
    stream.writeString("s");
    stream.writeInt(7);
    stream.writeBoolean(true);
    stream.setStringProperty("kind", "stream");
    p.send(stream);
    Message plain = s.createMessage();
    plain.setStringProperty("kind", "plain");
    p.send(plain);
    System.out.println("READY");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in)).readLine();
    MessageConsumer consumer = s.createConsumer(q);
    StringBuilder sb = new StringBuilder("{\"after\":[");
    for (int i = 0; i < 4; i++) {
      Message m = consumer.receive(10000);
      if (i > 0) sb.append(',');
      if (m == null) {
        sb.append("null");
        continue;
      }
      String content;
      if (m instanceof javax.jms.MapMessage) {
        javax.jms.MapMessage mm = (javax.jms.MapMessage) m;
        content = "Map name=" + mm.getString("name") + " count=" + mm.getObject("count").getClass().getSimpleName() + ":" + mm.getInt("count");
      } else if (m instanceof javax.jms.ObjectMessage) {
        Object o = ((javax.jms.ObjectMessage) m).getObject();
        content = "Object " + o.getClass().getSimpleName() + ":" + o;
      } else if (m instanceof javax.jms.StreamMessage) {
        javax.jms.StreamMessage sm = (javax.jms.StreamMessage) m;
        content = "Stream " + sm.readString() + " " + sm.readInt() + " " + sm.readBoolean();
      } else if (m instanceof javax.jms.BytesMessage || m instanceof TextMessage) {
        content = m.getClass().getSimpleName();
      } else {
        content = "Message";
      }
      sb.append(Jms.quote(content + " kind=" + m.getStringProperty("kind") + " persistent=" + (m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT)));
    }
    c.close();
    System.out.println(sb.append("]}").toString());
    System.exit(0);
  }

  static void groups(String[] args) throws Exception {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(args[0]);
    // one message at a time each: a group's next message must wait for its owner
    f.getPrefetchPolicy().setQueuePrefetch(1);
    Connection c = f.createConnection("guest", "guest");
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue(args[1]);
    MessageProducer p = s.createProducer(q);
    p.setDeliveryMode(DeliveryMode.PERSISTENT);
    String[] order = {"g1-0", "g1-1", "g2-0", "g2-1", "g1-2", "g2-2"};
    for (String body : order) {
      TextMessage m = s.createTextMessage(body);
      m.setStringProperty("JMSXGroupID", body.substring(0, 2));
      p.send(m);
    }
    System.out.println("READY");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in)).readLine();
    Session sa = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Session sb = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageConsumer a = sa.createConsumer(q);
    MessageConsumer b = sb.createConsumer(q);
    List<Message> gotA = new ArrayList<>();
    List<Message> gotB = new ArrayList<>();
    // turns until both have been idle for a while (each turn acknowledges what it received)
    for (int idle = 0; idle < 2 && gotA.size() + gotB.size() < 10; ) {
      Message ma = a.receive(2000);
      Message mb = b.receive(2000);
      if (ma != null) gotA.add(ma);
      if (mb != null) gotB.add(mb);
      idle = ma == null && mb == null ? idle + 1 : 0;
    }
    // which consumer got g1 depends on which the broker served first; name them by what they got
    boolean aHasG1 = !gotA.isEmpty() && ((TextMessage) gotA.get(0)).getText().startsWith("g1");
    String out = "{\"g1Owner\":" + Groups.texts(aHasG1 ? gotA : gotB) + ",\"g2Owner\":" + Groups.texts(aHasG1 ? gotB : gotA) + "}";
    c.close();
    System.out.println(out);
    System.exit(0);
  }
}
