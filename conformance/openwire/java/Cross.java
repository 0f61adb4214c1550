// The JMS side of the cross-protocol scenarios (conformance/openwire/cross-*.test.ts):
//
//   java -cp ... Cross <broker-url> send <queue>
//       sends one TextMessage with JMS headers and typed properties to the queue; prints its
//       JMSMessageID as JSON
//   java -cp ... Cross <broker-url> receive <queue|topic> <name> <n>
//       subscribes, prints READY (the test then publishes over the other protocol), receives up to
//       n messages (5 s each) and prints them described as Jms.describe does
import java.util.ArrayList;
import java.util.List;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;

public final class Cross {
  public static void main(String[] args) {
    try {
      ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(args[0]);
      Connection c = f.createConnection("guest", "guest");
      try {
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        switch (args[1]) {
          case "send": System.out.println(send(s, args[2])); break;
          case "receive": System.out.println(receive(s, args[2], args[3], Integer.parseInt(args[4]))); break;
          default: throw new IllegalArgumentException("unknown scenario " + args[1]);
        }
      } finally {
        c.close();
      }
      System.exit(0);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  static String send(Session s, String queue) throws Exception {
    Destination q = s.createQueue(queue);
    MessageProducer p = s.createProducer(q);
    TextMessage t = s.createTextMessage("from jms");
    t.setStringProperty("str", "a string");
    t.setIntProperty("int", 42);
    t.setLongProperty("long", 1L << 40);
    t.setBooleanProperty("bool", true);
    t.setDoubleProperty("double", 2.5);
    t.setJMSCorrelationID("corr-9");
    t.setJMSType("order");
    t.setJMSReplyTo(s.createQueue(queue + ".reply"));
    p.send(t, DeliveryMode.PERSISTENT, 6, 0);
    return "{\"messageId\":" + Jms.quote(t.getJMSMessageID()) + ",\"timestamp\":" + t.getJMSTimestamp() + "}";
  }

  static String receive(Session s, String kind, String name, int n) throws Exception {
    Destination d = kind.equals("topic") ? s.createTopic(name) : s.createQueue(name);
    MessageConsumer consumer = s.createConsumer(d);
    System.out.println("READY");
    System.out.flush();
    List<String> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Message m = consumer.receive(5000);
      if (m == null) break;
      got.add(Jms.describe(m));
    }
    return "{\"messages\":[" + String.join(",", got) + "]}";
  }
}
