// OpenWire over TLS (the Java client's ssl:// transport) for conformance/openwire/tls.test.ts: sends
// a text message to a queue and receives it back, trusting the test's certificate.
//
//   java -cp ... Tls <ssl-url> <truststore.p12> <password> <queue>
import javax.jms.Connection;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;

public final class Tls {
  public static void main(String[] args) throws Exception {
    // read by the JVM's default SSLContext, which the ssl:// transport uses
    System.setProperty("javax.net.ssl.trustStore", args[1]);
    System.setProperty("javax.net.ssl.trustStorePassword", args[2]);
    System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(args[0]);
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      javax.jms.Queue q = s.createQueue(args[3]);
      MessageConsumer consumer = s.createConsumer(q);
      s.createProducer(q).send(s.createTextMessage("over tls"));
      Message m = consumer.receive(5000);
      System.out.println("{\"received\":" + (m == null ? "null" : Jms.quote(((TextMessage) m).getText())) + "}");
    } finally {
      c.close();
    }
    System.exit(0);
  }
}
