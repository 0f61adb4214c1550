// Spring JMS scenarios for the OpenWire conformance suite: the way most ActiveMQ applications talk
// to the broker, Spring's JmsTemplate and DefaultMessageListenerContainer (Debian
// libspring-jms-java) over ActiveMQ 5.17's connection factory. Each scenario prints one JSON line
// of what it observed; conformance/openwire/spring.test.ts asserts on it, for Warren and ActiveMQ.
//
//   java -cp ... SpringJms <broker-url> <scenario> <name-prefix>
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.jms.Message;
import javax.jms.MessageListener;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.springframework.jms.connection.CachingConnectionFactory;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.jms.listener.DefaultMessageListenerContainer;

public final class SpringJms {
  private static final long WAIT_MS = 5000;

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String scenario = args[1];
    String prefix = args[2];
    ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
    factory.setUserName("guest");
    factory.setPassword("guest");
    String out;
    switch (scenario) {
      case "template": out = template(factory, prefix); break;
      case "listener-container": out = listenerContainer(factory, prefix, Integer.parseInt(args[3])); break;
      default: throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    System.out.println(out);
    System.exit(0);
  }

  /**
   * JmsTemplate over a CachingConnectionFactory (sessions and producers reused, as Spring Boot
   * sets it up): convertAndSend of a String (TextMessage) with a property set by a post-processor
   * and of a Map (MapMessage), then receive and receiveAndConvert on the same queue.
   */
  static String template(ActiveMQConnectionFactory f, String prefix) throws Exception {
    CachingConnectionFactory caching = new CachingConnectionFactory(f);
    try {
      JmsTemplate t = new JmsTemplate(caching);
      t.setReceiveTimeout(WAIT_MS);
      String queue = prefix + ".template";
      t.convertAndSend(queue, "hello spring", m -> {
        m.setStringProperty("origin", "spring");
        m.setIntProperty("n", 7);
        return m;
      });
      Map<String, Object> map = new HashMap<>();
      map.put("name", "widget");
      map.put("count", 3);
      t.convertAndSend(queue, map);
      Message first = t.receive(queue);
      Object second = t.receiveAndConvert(queue);
      // nothing else is left on the queue
      t.setReceiveTimeout(500);
      Message left = t.receive(queue);
      StringBuilder sb = new StringBuilder("{\"first\":");
      if (first instanceof TextMessage) {
        TextMessage tm = (TextMessage) first;
        sb.append("{\"text\":").append(Jms.quote(tm.getText()))
            .append(",\"origin\":").append(Jms.quote(tm.getStringProperty("origin")))
            .append(",\"n\":").append(tm.getObjectProperty("n") instanceof Integer ? tm.getIntProperty("n") : -1)
            .append(",\"destination\":").append(Jms.quote(String.valueOf(tm.getJMSDestination()))).append('}');
      } else {
        sb.append(first == null ? "null" : Jms.quote(first.getClass().getSimpleName()));
      }
      sb.append(",\"second\":");
      if (second instanceof Map) {
        List<String> keys = new ArrayList<>();
        for (Object k : ((Map<?, ?>) second).keySet()) keys.add(String.valueOf(k));
        Collections.sort(keys);
        sb.append('{');
        for (int i = 0; i < keys.size(); i++) {
          Object v = ((Map<?, ?>) second).get(keys.get(i));
          sb.append(i > 0 ? "," : "").append(Jms.quote(keys.get(i))).append(':').append(Jms.quote(v.getClass().getSimpleName() + ":" + v));
        }
        sb.append('}');
      } else {
        sb.append(second == null ? "null" : Jms.quote(second.getClass().getSimpleName()));
      }
      return sb.append(",\"left\":").append(left != null).append('}').toString();
    } finally {
      caching.destroy();
    }
  }

  /**
   * A DefaultMessageListenerContainer with two concurrent consumers on a queue receives every one
   * of N messages sent by a JmsTemplate, each once; nothing is left on the queue afterwards.
   */
  static String listenerContainer(ActiveMQConnectionFactory f, String prefix, int n) throws Exception {
    String queue = prefix + ".listener";
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch all = new CountDownLatch(n);
    DefaultMessageListenerContainer container = new DefaultMessageListenerContainer();
    container.setConnectionFactory(f);
    container.setDestinationName(queue);
    container.setConcurrentConsumers(2);
    container.setReceiveTimeout(500);
    container.setMessageListener((MessageListener) m -> {
      try {
        got.add(((TextMessage) m).getText());
      } catch (javax.jms.JMSException e) {
        got.add("error: " + e);
      }
      all.countDown();
    });
    container.afterPropertiesSet();
    container.start();
    CachingConnectionFactory caching = new CachingConnectionFactory(f);
    try {
      JmsTemplate t = new JmsTemplate(caching);
      for (int i = 0; i < n; i++) t.convertAndSend(queue, "m" + i);
      boolean complete = all.await(20, TimeUnit.SECONDS);
      container.stop();
      container.shutdown();
      t.setReceiveTimeout(500);
      Message left = t.receive(queue);
      List<String> sorted = new ArrayList<>(got);
      sorted.sort((a, b) -> a.length() != b.length() ? a.length() - b.length() : a.compareTo(b));
      return "{\"complete\":" + complete + ",\"count\":" + got.size() + ",\"received\":" + Jms.strings(sorted)
          + ",\"left\":" + (left != null) + "}";
    } finally {
      if (container.isActive()) container.shutdown();
      caching.destroy();
    }
  }
}
