// Scenarios for ActiveMQ behaviours the OpenWire front-end matches (conformance/openwire/fidelity.test.ts),
// run with ActiveMQ 5.17's own Java client against Warren and ActiveMQ alike. Each prints one JSON line.
//
//   java -cp ... Fidelity <broker-url> <scenario> <name-prefix>
import java.util.Enumeration;
import javax.jms.Connection;
import javax.jms.Message;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.Topic;
import javax.jms.TopicSubscriber;
import org.apache.activemq.ActiveMQConnectionFactory;

public final class Fidelity {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String scenario = args[1];
    String prefix = args[2];
    ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
    String out;
    switch (scenario) {
      case "durable-selector-change": out = durableSelectorChange(factory, prefix); break;
      case "browse-limit": out = browseLimit(factory, prefix, args.length > 3 ? Integer.parseInt(args[3]) : 300); break;
      default: throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    System.out.println(out);
    System.exit(0);
  }

  /**
   * A durable subscription kept with one selector, then re-subscribed with the same one (it keeps
   * its messages) and with another (replaced: what it kept is gone, the new selector applies).
   */
  static String durableSelectorChange(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    c.setClientID(prefix + "-sel");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Topic t = s.createTopic(prefix + ".t");
      MessageProducer p = s.createProducer(t);
      s.createDurableSubscriber(t, "sub", "color = 'red'", false).close();
      send(s, p, "red1", "red");
      send(s, p, "blue1", "blue");
      TopicSubscriber same = s.createDurableSubscriber(t, "sub", "color = 'red'", false);
      String kept = Jms.texts(same, 1);
      Message extra = same.receive(300);
      same.close();
      send(s, p, "red2", "red");
      send(s, p, "blue2", "blue");
      TopicSubscriber other = s.createDurableSubscriber(t, "sub", "color = 'blue'", false);
      Message dropped = other.receive(500);
      send(s, p, "red3", "red");
      send(s, p, "blue3", "blue");
      String after = Jms.texts(other, 1);
      Message extra2 = other.receive(300);
      other.close();
      s.unsubscribe("sub");
      return "{\"kept\":" + kept + ",\"extra\":" + text(extra) + ",\"afterChange\":" + text(dropped) + ",\"got\":" + after
          + ",\"extra2\":" + text(extra2) + "}";
    } finally {
      c.close();
    }
  }

  /**
   * A queue of `total` persistent messages (m0, m1…) browsed: how many the browser sees, whether
   * in order, and how many are left for a consumer after it.
   */
  static String browseLimit(ActiveMQConnectionFactory f, String prefix, int total) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      javax.jms.Queue q = s.createQueue(prefix + ".browse");
      MessageProducer p = s.createProducer(q);
      for (int i = 0; i < total; i++) p.send(s.createTextMessage("m" + i));
      javax.jms.QueueBrowser b = s.createBrowser(q);
      Enumeration<?> e = b.getEnumeration();
      int n = 0;
      boolean inOrder = true;
      String first = null;
      String last = null;
      while (e.hasMoreElements()) {
        String t = ((TextMessage) e.nextElement()).getText();
        if (!t.equals("m" + n)) inOrder = false;
        if (first == null) first = t;
        last = t;
        n++;
      }
      b.close();
      javax.jms.MessageConsumer consumer = s.createConsumer(q);
      int left = 0;
      while (consumer.receive(left == 0 ? 5000 : 1000) != null) left++;
      return "{\"browsed\":" + n + ",\"inOrder\":" + inOrder + ",\"first\":" + Jms.quote(first) + ",\"last\":" + Jms.quote(last)
          + ",\"left\":" + left + "}";
    } finally {
      c.close();
    }
  }

  static void send(Session s, MessageProducer p, String body, String color) throws Exception {
    TextMessage m = s.createTextMessage(body);
    m.setStringProperty("color", color);
    p.send(m);
  }

  static String text(Message m) throws Exception {
    return m == null ? "null" : Jms.quote(((TextMessage) m).getText());
  }
}
