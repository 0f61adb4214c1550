// Message group scenarios for the OpenWire conformance suite (conformance/openwire/groups.test.ts),
// run with ActiveMQ 5.17's own Java client against Warren and ActiveMQ alike. Each prints one JSON
// line of what it observed.
//
//   java -cp ... Groups <broker-url> <scenario> <name-prefix>
import java.util.ArrayList;
import java.util.List;
import javax.jms.Connection;
import javax.jms.Destination;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;

public final class Groups {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String scenario = args[1];
    String prefix = args[2];
    ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
    String out;
    switch (scenario) {
      case "groups": out = groups(factory, prefix); break;
      default: throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    System.out.println(out);
    System.exit(0);
  }

  /**
   * Two consumers, two interleaved groups: each group sticks to one consumer. Then the owner of
   * g1 leaves with its messages unacknowledged: they and the rest of g1 go to the other consumer,
   * which now owns g1. Finally g2 is closed (JMSXGroupSeq -1) and its next message starts it anew.
   */
  static String groups(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session sa = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Session sb = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Session sp = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = sp.createQueue(prefix + ".groups");
      MessageConsumer a = sa.createConsumer(q);
      MessageConsumer b = sb.createConsumer(q);
      MessageProducer p = sp.createProducer(q);
      for (int i = 0; i < 3; i++) {
        send(sp, p, "g1", i, 0);
        send(sp, p, "g2", i, 0);
      }
      List<Message> gotA = drain(a, 3);
      List<Message> gotB = drain(b, 3);
      // which consumer got g1 depends on who was asked first; name them by what they got
      boolean aHasG1 = !gotA.isEmpty() && ((TextMessage) gotA.get(0)).getText().startsWith("g1");
      List<Message> g1Owner = aHasG1 ? gotA : gotB;
      List<Message> g2Owner = aHasG1 ? gotB : gotA;
      Session g1Session = aHasG1 ? sa : sb;
      MessageConsumer g2Consumer = aHasG1 ? b : a;
      StringBuilder sb2 = new StringBuilder("{\"g1Owner\":").append(texts(g1Owner)).append(",\"g2Owner\":").append(texts(g2Owner));
      // g2's consumer acknowledges; g1's leaves without acknowledging (its session closes)
      if (!g2Owner.isEmpty()) g2Owner.get(g2Owner.size() - 1).acknowledge();
      g1Session.close();
      send(sp, p, "g1", 3, 0);
      send(sp, p, "g2", 3, 0);
      List<Message> after = drain(g2Consumer, 5);
      sb2.append(",\"afterLeave\":").append(texts(after));
      // g2 closed by its last message; the next g2 message assigns it again
      send(sp, p, "g2", 4, -1);
      send(sp, p, "g2", 5, 0);
      List<Message> closed = drain(g2Consumer, 2);
      sb2.append(",\"afterClose\":").append(texts(closed));
      if (!closed.isEmpty()) closed.get(closed.size() - 1).acknowledge();
      return sb2.append('}').toString();
    } finally {
      c.close();
    }
  }

  static void send(Session s, MessageProducer p, String group, int i, int seq) throws Exception {
    TextMessage m = s.createTextMessage(group + "-" + i);
    m.setStringProperty("JMSXGroupID", group);
    if (seq != 0) m.setIntProperty("JMSXGroupSeq", seq);
    p.send(m);
  }

  /** Up to `n` messages, waiting a while for the first and briefly for the rest. */
  static List<Message> drain(MessageConsumer consumer, int n) throws Exception {
    List<Message> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Message m = consumer.receive(i == 0 ? 5000 : 2000);
      if (m == null) break;
      got.add(m);
    }
    // nothing more may be waiting for it
    Message extra = consumer.receive(300);
    if (extra != null) got.add(extra);
    return got;
  }

  /** Each message as text, with "*" when it carries JMSXGroupFirstForConsumer and "+" when redelivered. */
  static String texts(List<Message> l) throws Exception {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) {
      Message m = l.get(i);
      if (i > 0) sb.append(',');
      String t = ((TextMessage) m).getText();
      if (m.getBooleanProperty("JMSXGroupFirstForConsumer")) t += "*";
      if (m.getJMSRedelivered()) t += "+";
      sb.append('"').append(t).append('"');
    }
    return sb.append(']').toString();
  }
}
