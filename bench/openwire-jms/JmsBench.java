// One side of a JMS benchmark (bench/openwire-jms.mjs), with ActiveMQ 5.17's own client: the
// producer and the consumers each run in a JVM of their own, as applications do.
//
//   java -cp ... JmsBench consume <url> <queue|topic> <name> <consumers> <auto|client> <count>
//       opens one connection per consumer, prints READY once all are subscribed, then waits
//       until they have together received <count> messages (each acknowledged as the mode
//       says: client = Message.acknowledge() on every message); prints
//       {"received":N,"seconds":S} with S from the first message to the last
//   java -cp ... JmsBench produce <url> <queue|topic> <name> <persistent|non-persistent> <bytes> <count>
//       sends <count> TextMessages of <bytes> characters; prints {"sent":N,"seconds":S}
//
// Every wait is bounded (120 s); a timeout prints what was reached and exits 2.
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;

public final class JmsBench {
  private static final long LIMIT_S = 120;

  public static void main(String[] args) {
    try {
      if (args[0].equals("consume")) consume(args);
      else if (args[0].equals("produce")) produce(args);
      else throw new IllegalArgumentException("consume or produce, not " + args[0]);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  static Destination destination(Session s, String kind, String name) throws Exception {
    return kind.equals("topic") ? s.createTopic(name) : s.createQueue(name);
  }

  static void consume(String[] a) throws Exception {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(a[1]);
    int consumers = Integer.parseInt(a[4]);
    boolean client = a[5].equals("client");
    long count = Long.parseLong(a[6]);
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong received = new AtomicLong();
    AtomicLong first = new AtomicLong();
    AtomicLong last = new AtomicLong();
    List<Connection> connections = new ArrayList<>();
    for (int i = 0; i < consumers; i++) {
      Connection c = f.createConnection("guest", "guest");
      connections.add(c);
      Session s = c.createSession(false, client ? Session.CLIENT_ACKNOWLEDGE : Session.AUTO_ACKNOWLEDGE);
      MessageConsumer mc = s.createConsumer(destination(s, a[2], a[3]));
      mc.setMessageListener(m -> {
        try {
          if (client) m.acknowledge();
        } catch (Exception e) {
          e.printStackTrace();
        }
        long n = received.incrementAndGet();
        long now = System.nanoTime();
        if (n == 1) first.set(now);
        if (n == count) {
          last.set(now);
          done.countDown();
        }
      });
      c.start();
    }
    System.out.println("READY");
    System.out.flush();
    boolean ok = done.await(LIMIT_S, TimeUnit.SECONDS);
    long end = ok ? last.get() : System.nanoTime();
    double seconds = first.get() == 0 ? 0 : (end - first.get()) / 1e9;
    System.out.println("{\"received\":" + received.get() + ",\"seconds\":" + seconds + "}");
    System.out.flush();
    for (Connection c : connections) c.close();
    System.exit(ok ? 0 : 2);
  }

  static void produce(String[] a) throws Exception {
    ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(a[1]);
    boolean persistent = a[4].equals("persistent");
    char[] body = new char[Integer.parseInt(a[5])];
    Arrays.fill(body, 'x');
    String text = new String(body);
    long count = Long.parseLong(a[6]);
    Connection c = f.createConnection("guest", "guest");
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    MessageProducer p = s.createProducer(destination(s, a[2], a[3]));
    p.setDeliveryMode(persistent ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
    long start = System.nanoTime();
    for (long i = 0; i < count; i++) {
      TextMessage m = s.createTextMessage(text);
      p.send(m);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println("{\"sent\":" + count + ",\"seconds\":" + seconds + "}");
    System.out.flush();
    c.close();
    System.exit(0);
  }
}
