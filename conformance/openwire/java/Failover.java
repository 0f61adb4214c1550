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
}
