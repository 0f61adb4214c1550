// ActiveMQ's destination features for the OpenWire conformance suite (destinations.test.ts):
// composite destinations, virtual topics and scheduled delivery, with ActiveMQ 5.17's own Java
// client. Each scenario prints one JSON line of what it observed, for Warren and ActiveMQ alike.
//
//   java -cp ... Destinations <broker-url> <scenario> <name-prefix>
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
import org.apache.activemq.command.ActiveMQMessage;

public final class Destinations {
  private static final long WAIT_MS = 5000;
  /** How long a consumer waits to be sure nothing more comes. */
  private static final long QUIET_MS = 500;

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String scenario = args[1];
    String prefix = args[2];
    ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
    String out;
    switch (scenario) {
      case "composite-send": out = compositeSend(factory, prefix); break;
      case "composite-consume": out = compositeConsume(factory, prefix); break;
      case "virtual-topic": out = virtualTopic(factory, prefix); break;
      case "scheduled": out = scheduled(factory, prefix); break;
      default: throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    System.out.println(out);
    System.exit(0);
  }

  /**
   * A producer on queue://a,queue://b, on topic://a,topic://b and on queue://a,topic://b: every
   * member gets each message, with the member as JMSDestination and the composite as the original.
   */
  static String compositeSend(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      MessageConsumer qa = s.createConsumer(s.createQueue(p + ".qa"));
      MessageConsumer qb = s.createConsumer(s.createQueue(p + ".qb"));
      MessageConsumer ta = s.createConsumer(s.createTopic(p + ".ta"));
      MessageConsumer tb = s.createConsumer(s.createTopic(p + ".tb"));
      MessageConsumer mq = s.createConsumer(s.createQueue(p + ".mq"));
      MessageConsumer mt = s.createConsumer(s.createTopic(p + ".mt"));
      s.createProducer(s.createQueue(p + ".qa," + p + ".qb")).send(s.createTextMessage("queues"));
      s.createProducer(s.createTopic(p + ".ta," + p + ".tb")).send(s.createTextMessage("topics"));
      s.createProducer(s.createQueue(p + ".mq,topic://" + p + ".mt")).send(s.createTextMessage("mixed"));
      StringBuilder sb = new StringBuilder("{");
      String[] names = {"qa", "qb", "ta", "tb", "mq", "mt"};
      MessageConsumer[] consumers = {qa, qb, ta, tb, mq, mt};
      for (int i = 0; i < names.length; i++) {
        sb.append(i > 0 ? "," : "").append(Jms.quote(names[i])).append(':').append(drain(consumers[i], p));
      }
      return sb.append('}').toString();
    } finally {
      c.close();
    }
  }

  /**
   * A consumer on queue://a,queue://b gets what is sent to either member; one on
   * topic://a,topic://b what is published to either; one on queue://a,topic://b both.
   */
  static String compositeConsume(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      MessageConsumer queues = s.createConsumer(s.createQueue(p + ".qa," + p + ".qb"));
      MessageConsumer topics = s.createConsumer(s.createTopic(p + ".ta," + p + ".tb"));
      MessageConsumer mixed = s.createConsumer(s.createQueue(p + ".mq,topic://" + p + ".mt"));
      MessageConsumer mixedTopic = s.createConsumer(s.createTopic(p + ".mt,queue://" + p + ".mq2"));
      send(s, s.createQueue(p + ".qa"), "to qa");
      send(s, s.createQueue(p + ".qb"), "to qb");
      send(s, s.createTopic(p + ".ta"), "to ta");
      send(s, s.createTopic(p + ".tb"), "to tb");
      send(s, s.createQueue(p + ".mq"), "to mq");
      send(s, s.createTopic(p + ".mt"), "to mt");
      send(s, s.createQueue(p + ".mq2"), "to mq2");
      return "{\"queues\":" + drain(queues, p) + ",\"topics\":" + drain(topics, p) + ",\"mixed\":" + drain(mixed, p)
          + ",\"mixedTopic\":" + drain(mixedTopic, p) + "}";
    } finally {
      c.close();
    }
  }

  /**
   * Virtual topics: a send to topic VirtualTopic.X also goes to every existing queue
   * Consumer.<name>.VirtualTopic.X, which keeps it while its consumer is away; one sent before a
   * queue existed is not in it; plain topic subscribers still get it; Consumer.a.b.VirtualTopic.X
   * is no consumer queue; a selector on a consumer queue leaves the rest queued.
   */
  static String virtualTopic(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      String topic = "VirtualTopic." + p + ".orders";
      MessageProducer producer = s.createProducer(s.createTopic(topic));
      TextMessage early = s.createTextMessage("early");
      early.setStringProperty("color", "red");
      producer.send(early);
      MessageConsumer a = s.createConsumer(s.createQueue("Consumer.A." + topic));
      MessageConsumer b = s.createConsumer(s.createQueue("Consumer.B." + topic));
      MessageConsumer twoWords = s.createConsumer(s.createQueue("Consumer.X.Y." + topic));
      MessageConsumer red = s.createConsumer(s.createQueue("Consumer.S." + topic), "color = 'red'");
      MessageConsumer plain = s.createConsumer(s.createTopic(topic));
      b.close();
      for (String color : new String[] {"red", "blue"}) {
        TextMessage m = s.createTextMessage(color);
        m.setStringProperty("color", color);
        producer.send(m);
      }
      String out = "{\"a\":" + drain(a, p) + ",\"plain\":" + drain(plain, p) + ",\"twoWords\":" + drain(twoWords, p)
          + ",\"red\":" + drain(red, p);
      red.close();
      MessageConsumer rest = s.createConsumer(s.createQueue("Consumer.S." + topic));
      out += ",\"unselected\":" + drain(rest, p);
      MessageConsumer bAgain = s.createConsumer(s.createQueue("Consumer.B." + topic));
      return out + ",\"bWhileAway\":" + drain(bAgain, p) + "}";
    } finally {
      c.close();
    }
  }

  /**
   * Scheduled delivery (AMQ_SCHEDULED_DELAY, _PERIOD, _REPEAT): a delayed message is not there
   * before its delay and is after; a repeated one comes 1 + repeat times; what the delivered
   * copies carry. Times are reported in coarse steps so both brokers print the same.
   */
  static String scheduled(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(p + ".scheduled");
      MessageConsumer consumer = s.createConsumer(q);
      MessageProducer producer = s.createProducer(q);
      TextMessage delayed = s.createTextMessage("delayed");
      delayed.setLongProperty("AMQ_SCHEDULED_DELAY", 1500);
      producer.setDeliveryMode(javax.jms.DeliveryMode.PERSISTENT);
      long sent = System.currentTimeMillis();
      producer.send(delayed);
      Message early = consumer.receive(700);
      Message m = consumer.receive(WAIT_MS);
      long after = System.currentTimeMillis() - sent;
      StringBuilder sb = new StringBuilder("{\"early\":" + (early != null));
      sb.append(",\"delayed\":").append(scheduledCopy(m, delayed.getJMSMessageID()));
      sb.append(",\"waitedAtLeastDelay\":").append(after >= 1500);
      TextMessage repeated = s.createTextMessage("repeated");
      repeated.setLongProperty("AMQ_SCHEDULED_DELAY", 200);
      repeated.setLongProperty("AMQ_SCHEDULED_PERIOD", 300);
      repeated.setIntProperty("AMQ_SCHEDULED_REPEAT", 2);
      producer.setDeliveryMode(javax.jms.DeliveryMode.NON_PERSISTENT);
      producer.send(repeated);
      List<String> copies = new ArrayList<>();
      for (Message r = consumer.receive(WAIT_MS); r != null; r = consumer.receive(1500)) {
        copies.add(scheduledCopy(r, repeated.getJMSMessageID()));
      }
      sb.append(",\"repeated\":[").append(String.join(",", copies)).append(']');
      return sb.append('}').toString();
    } finally {
      c.close();
    }
  }

  /**
   * A scheduled message as delivered: its text, whether it kept the sent JMSMessageID, whether it
   * has a scheduledJobId, its AMQ_SCHEDULED_* properties.
   */
  static String scheduledCopy(Message m, String sentId) throws Exception {
    if (m == null) return "null";
    StringBuilder sb = new StringBuilder("{\"text\":" + Jms.quote(((TextMessage) m).getText()));
    sb.append(",\"sameId\":").append(sentId.equals(m.getJMSMessageID()));
    sb.append(",\"persistent\":").append(m.getJMSDeliveryMode() == javax.jms.DeliveryMode.PERSISTENT);
    sb.append(",\"hasJobId\":").append(m.getStringProperty("scheduledJobId") != null);
    for (String name : new String[] {"AMQ_SCHEDULED_DELAY", "AMQ_SCHEDULED_PERIOD", "AMQ_SCHEDULED_REPEAT"}) {
      Object v = m.getObjectProperty(name);
      sb.append(",").append(Jms.quote(name)).append(':').append(v == null ? "null" : Jms.quote(v.getClass().getSimpleName() + ":" + v));
    }
    return sb.append('}').toString();
  }

  static void send(Session s, Destination d, String text) throws Exception {
    MessageProducer producer = s.createProducer(d);
    producer.send(s.createTextMessage(text));
    producer.close();
  }

  /**
   * Every message `consumer` gets until it is quiet: text, JMSDestination and original
   * destination, with the scenario's prefix cut from the names.
   */
  static String drain(MessageConsumer consumer, String p) throws Exception {
    List<String> got = new ArrayList<>();
    Message m = consumer.receive(WAIT_MS);
    while (m != null) {
      Destination orig = ((ActiveMQMessage) m).getOriginalDestination();
      got.add("{\"text\":" + Jms.quote(((TextMessage) m).getText()) + ",\"destination\":" + Jms.quote(strip(String.valueOf(m.getJMSDestination()), p))
          + ",\"original\":" + (orig == null ? "null" : Jms.quote(strip(String.valueOf(orig), p))) + "}");
      m = consumer.receive(QUIET_MS);
    }
    return "[" + String.join(",", got) + "]";
  }

  static String strip(String s, String p) {
    return s.replace(p + ".", "");
  }
}
