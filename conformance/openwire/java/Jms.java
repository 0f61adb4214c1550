// JMS scenarios for the OpenWire conformance suite, run by conformance/openwire/*.test.ts with
// ActiveMQ 5.17's own Java client (Debian libactivemq-java). Each scenario prints one JSON line of
// what it observed; the test file asserts on it, for Warren and ActiveMQ alike.
//
//   java -cp ... Jms <broker-url> <scenario> <name-prefix>
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.MapMessage;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;

public final class Jms {
  private static final long WAIT_MS = 5000;

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String scenario = args[1];
    String prefix = args[2];
    ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
    String out;
    switch (scenario) {
      case "queue-text-bytes": out = queueTextBytes(factory, prefix); break;
      case "topic-fanout": out = topicFanout(factory, prefix); break;
      case "map-message": out = mapMessage(factory, prefix); break;
      case "client-ack": out = clientAck(factory, prefix); break;
      case "duplicate-client-id": out = duplicateClientId(factory, prefix); break;
      case "selectors": out = selectors(factory, prefix); break;
      case "session-client-ack": out = sessionClientAck(factory, prefix); break;
      case "individual-ack": out = individualAck(factory, prefix); break;
      case "dups-ok": out = dupsOk(factory, prefix); break;
      case "recover-to-dlq": out = recoverToDlq(factory, prefix); break;
      case "recover-then-close": out = recoverThenClose(factory, prefix); break;
      case "transactions": out = transactions(factory, prefix); break;
      case "temp-request-reply": out = tempRequestReply(factory, prefix); break;
      case "durable-subscriber": out = durableSubscriber(factory, prefix); break;
      case "browser": out = browser(factory, prefix); break;
      case "exclusive-priority": out = exclusivePriority(factory, prefix); break;
      case "prefetch-zero": out = prefetchZero(factory, prefix); break;
      case "expiry-to-dlq": out = expiryToDlq(factory, prefix); break;
      case "durable-topic-change": out = durableTopicChange(factory, prefix); break;
      default: throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    System.out.println(out);
    System.exit(0);
  }

  /** A text and a bytes message with typed properties and JMS headers, sent and received on a queue. */
  static String queueTextBytes(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".q");
      Destination replyTo = s.createQueue(prefix + ".reply");
      MessageConsumer consumer = s.createConsumer(q);
      MessageProducer p = s.createProducer(q);
      TextMessage t = s.createTextMessage("héllo wörld");
      t.setStringProperty("str", "a string");
      t.setIntProperty("int", 42);
      t.setLongProperty("long", 1L << 40);
      t.setBooleanProperty("bool", true);
      t.setDoubleProperty("double", 2.5);
      t.setByteProperty("byte", (byte) -3);
      t.setShortProperty("short", (short) 300);
      t.setFloatProperty("float", 1.5f);
      t.setJMSCorrelationID("corr-1");
      t.setJMSType("my-type");
      t.setJMSReplyTo(replyTo);
      p.send(t, DeliveryMode.PERSISTENT, 7, 0);
      BytesMessage b = s.createBytesMessage();
      b.writeBytes(new byte[] {0, 1, 2, (byte) 0xff, 10});
      b.setStringProperty("kind", "bytes");
      p.send(b, DeliveryMode.NON_PERSISTENT, 4, 60000);
      StringBuilder sb = new StringBuilder("{\"messages\":[");
      for (int i = 0; i < 2; i++) {
        Message m = consumer.receive(WAIT_MS);
        if (i > 0) sb.append(',');
        sb.append(describe(m));
      }
      sb.append("],\"sentId\":").append(quote(t.getJMSMessageID()));
      sb.append(",\"wireFormat\":").append(wireFormat(c)).append('}');
      return sb.toString();
    } finally {
      c.close();
    }
  }

  /** The wire format the connection negotiated (the AND of both sides' WireFormatInfo). */
  static String wireFormat(Connection c) {
    org.apache.activemq.transport.tcp.TcpTransport t =
        ((org.apache.activemq.ActiveMQConnection) c).getTransport().narrow(org.apache.activemq.transport.tcp.TcpTransport.class);
    if (t == null) return "null";
    org.apache.activemq.openwire.OpenWireFormat w = (org.apache.activemq.openwire.OpenWireFormat) t.getWireFormat();
    return "{\"tight\":" + w.isTightEncodingEnabled() + ",\"cache\":" + w.isCacheEnabled() + ",\"version\":" + w.getVersion() + "}";
  }

  /** A MapMessage's typed entries arrive as sent. */
  static String mapMessage(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".map");
      MessageProducer p = s.createProducer(q);
      MapMessage m = s.createMapMessage();
      m.setString("name", "widget");
      m.setInt("count", 3);
      m.setLong("big", 1L << 40);
      m.setDouble("price", 9.99);
      m.setBoolean("ok", true);
      m.setBytes("raw", new byte[] {1, 2, 3});
      p.send(m);
      MapMessage got = (MapMessage) s.createConsumer(q).receive(WAIT_MS);
      if (got == null) return "{\"received\":null}";
      List<String> names = new ArrayList<>();
      Enumeration<?> e = got.getMapNames();
      while (e.hasMoreElements()) names.add((String) e.nextElement());
      java.util.Collections.sort(names);
      StringBuilder sb = new StringBuilder("{\"received\":{");
      for (int i = 0; i < names.size(); i++) {
        Object v = got.getObject(names.get(i));
        String text = v instanceof byte[] ? java.util.Arrays.toString((byte[]) v) : String.valueOf(v);
        sb.append(i > 0 ? "," : "").append(quote(names.get(i))).append(":{\"class\":").append(quote(v.getClass().getSimpleName()))
            .append(",\"value\":").append(quote(text)).append('}');
      }
      return sb.append("}}").toString();
    } finally {
      c.close();
    }
  }

  /** Two consumers on one topic each receive every message. */
  static String topicFanout(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s1 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Session s2 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination topic = s1.createTopic(prefix + ".t");
      MessageConsumer a = s1.createConsumer(topic);
      MessageConsumer b = s2.createConsumer(s2.createTopic(prefix + ".t"));
      MessageProducer p = s1.createProducer(topic);
      for (int i = 0; i < 3; i++) p.send(s1.createTextMessage("m" + i));
      return "{\"a\":" + texts(a, 3) + ",\"b\":" + texts(b, 3) + "}";
    } finally {
      c.close();
    }
  }

  /**
   * CLIENT_ACKNOWLEDGE: two messages received and not acknowledged come back, redelivered, to the
   * next consumer once the session closes; acknowledged ones do not.
   */
  static String clientAck(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".ack");
      MessageProducer p = s.createProducer(q);
      for (int i = 0; i < 2; i++) p.send(s.createTextMessage("m" + i));
      MessageConsumer first = s.createConsumer(q);
      String unacked = texts(first, 2);
      s.close();
      Session s2 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      MessageConsumer second = s2.createConsumer(s2.createQueue(prefix + ".ack"));
      List<String> again = new ArrayList<>();
      List<Boolean> redelivered = new ArrayList<>();
      Message last = null;
      for (int i = 0; i < 2; i++) {
        Message m = second.receive(WAIT_MS);
        if (m == null) break;
        again.add(((TextMessage) m).getText());
        redelivered.add(m.getJMSRedelivered());
        last = m;
      }
      if (last != null) last.acknowledge();
      s2.close();
      Session s3 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Message left = s3.createConsumer(s3.createQueue(prefix + ".ack")).receive(1000);
      return "{\"first\":" + unacked + ",\"again\":" + strings(again) + ",\"redelivered\":" + redelivered
          + ",\"afterAck\":" + (left == null ? "null" : quote(((TextMessage) left).getText())) + "}";
    } finally {
      c.close();
    }
  }

  /** A second connection with the same clientID is refused. */
  static String duplicateClientId(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection a = f.createConnection("guest", "guest");
    a.setClientID(prefix + "-client");
    a.start();
    try {
      Connection b = f.createConnection("guest", "guest");
      try {
        // setClientID sends the ConnectionInfo at once
        b.setClientID(prefix + "-client");
        b.start();
        return "{\"refused\":null}";
      } catch (JMSException e) {
        return "{\"refused\":" + quote(e.getClass().getName()) + ",\"message\":" + quote(String.valueOf(e.getMessage())) + "}";
      } finally {
        try { b.close(); } catch (JMSException ignored) { }
      }
    } finally {
      a.close();
    }
  }

  /**
   * A queue consumer with a selector gets only what it selects; what it passes over stays queued,
   * in order, for a plain consumer afterwards.
   */
  static String selectors(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".sel");
      MessageProducer p = s.createProducer(q);
      String[] colors = {"blue", "red", "red", "green"};
      for (int i = 0; i < colors.length; i++) {
        TextMessage m = s.createTextMessage(colors[i] + "-" + i);
        m.setStringProperty("color", colors[i]);
        m.setIntProperty("n", i);
        p.send(m);
      }
      MessageConsumer selected = s.createConsumer(q, "color = 'red' AND n > 1");
      String got = texts(selected, 1);
      Message extra = selected.receive(500);
      selected.close();
      MessageConsumer rest = s.createConsumer(q);
      String left = texts(rest, 3);
      return "{\"selected\":" + got + ",\"extra\":" + (extra != null) + ",\"left\":" + left + "}";
    } finally {
      c.close();
    }
  }

  /**
   * CLIENT_ACKNOWLEDGE: acknowledging one message acknowledges every message the session has
   * delivered, on all its consumers; nothing is left once the session closes.
   */
  static String sessionClientAck(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Destination qa = s.createQueue(prefix + ".a");
      Destination qb = s.createQueue(prefix + ".b");
      MessageProducer p = s.createProducer(null);
      for (int i = 0; i < 2; i++) p.send(qa, s.createTextMessage("a" + i));
      p.send(qb, s.createTextMessage("b0"));
      MessageConsumer a = s.createConsumer(qa);
      MessageConsumer b = s.createConsumer(qb);
      String gotA = texts(a, 2);
      Message mb = b.receive(WAIT_MS);
      mb.acknowledge();
      s.close();
      Session s2 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Message leftA = s2.createConsumer(qa).receive(1000);
      Message leftB = s2.createConsumer(qb).receive(200);
      return "{\"a\":" + gotA + ",\"b\":" + quote(((TextMessage) mb).getText()) + ",\"leftA\":" + (leftA != null)
          + ",\"leftB\":" + (leftB != null) + "}";
    } finally {
      c.close();
    }
  }

  /** INDIVIDUAL_ACKNOWLEDGE: only the acknowledged message goes; the others come back redelivered, in order. */
  static String individualAck(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, org.apache.activemq.ActiveMQSession.INDIVIDUAL_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".ind");
      MessageProducer p = s.createProducer(q);
      for (int i = 0; i < 4; i++) p.send(s.createTextMessage("m" + i));
      MessageConsumer consumer = s.createConsumer(q);
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Message m = consumer.receive(WAIT_MS);
        got.add(((TextMessage) m).getText());
        if (i == 1 || i == 2) m.acknowledge();
      }
      s.close();
      Session s2 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      MessageConsumer again = s2.createConsumer(q);
      List<String> left = new ArrayList<>();
      List<Boolean> redelivered = new ArrayList<>();
      for (;;) {
        Message m = again.receive(1000);
        if (m == null) break;
        left.add(((TextMessage) m).getText());
        redelivered.add(m.getJMSRedelivered());
      }
      return "{\"got\":" + strings(got) + ",\"left\":" + strings(left) + ",\"redelivered\":" + redelivered + "}";
    } finally {
      c.close();
    }
  }

  /** DUPS_OK_ACKNOWLEDGE: everything received is acknowledged (lazily) by the time the session closes. */
  static String dupsOk(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.DUPS_OK_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".dups");
      MessageProducer p = s.createProducer(q);
      for (int i = 0; i < 5; i++) p.send(s.createTextMessage("m" + i));
      String got = texts(s.createConsumer(q), 5);
      s.close();
      Session s2 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Message left = s2.createConsumer(q).receive(1000);
      return "{\"got\":" + got + ",\"left\":" + (left != null) + "}";
    } finally {
      c.close();
    }
  }

  /**
   * Session.recover redelivers with JMSRedelivered and a growing JMSXDeliveryCount; past the
   * redelivery policy (6 redeliveries by default) the client sends a poison ack and the broker
   * moves the message to ActiveMQ.DLQ with the failure cause as a property.
   */
  static String recoverToDlq(ActiveMQConnectionFactory f, String prefix) throws Exception {
    // no delay between redeliveries, so the scenario runs in well under a second per round
    f.getRedeliveryPolicy().setInitialRedeliveryDelay(0);
    f.getRedeliveryPolicy().setRedeliveryDelay(0);
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".poison");
      MessageProducer p = s.createProducer(q);
      TextMessage t = s.createTextMessage("poison");
      t.setStringProperty("origin", prefix);
      p.send(t);
      String sentId = t.getJMSMessageID();
      TextMessage np = s.createTextMessage("poison-np");
      np.setStringProperty("origin", prefix);
      p.send(np, DeliveryMode.NON_PERSISTENT, 4, 0);
      MessageConsumer consumer = s.createConsumer(q);
      List<String> deliveries = new ArrayList<>();
      for (;;) {
        Message m = consumer.receive(1000);
        if (m == null) break;
        deliveries.add(((TextMessage) m).getText() + ":" + m.getJMSRedelivered() + ":" + m.getIntProperty("JMSXDeliveryCount"));
        s.recover();
      }
      consumer.close();
      Message left = s.createConsumer(q).receive(500);
      MessageConsumer dlq = s.createConsumer(s.createQueue("ActiveMQ.DLQ"), "origin = '" + prefix + "'");
      StringBuilder sb = new StringBuilder("{\"deliveries\":" + strings(deliveries) + ",\"left\":" + (left != null) + ",\"dlq\":[");
      for (int i = 0;; i++) {
        Message m = dlq.receive(i == 0 ? WAIT_MS : 500);
        if (m == null) break;
        m.acknowledge();
        org.apache.activemq.command.ActiveMQMessage am = (org.apache.activemq.command.ActiveMQMessage) m;
        sb.append(i > 0 ? "," : "").append("{\"text\":").append(quote(((TextMessage) m).getText()))
            .append(",\"cause\":").append(quote(m.getStringProperty("dlqDeliveryFailureCause")))
            .append(",\"redelivered\":").append(m.getJMSRedelivered())
            .append(",\"deliveryCount\":").append(m.getIntProperty("JMSXDeliveryCount"))
            .append(",\"persistent\":").append(m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT)
            .append(",\"destination\":").append(quote(String.valueOf(m.getJMSDestination())))
            .append(",\"originalDestination\":").append(quote(String.valueOf(am.getOriginalDestination())))
            .append(",\"sameId\":").append(sentId.equals(m.getJMSMessageID()))
            .append(",\"originalExpiration\":").append(quote(String.valueOf(m.getObjectProperty("originalExpiration"))))
            .append(",\"originalExpirationClass\":").append(quote(m.getObjectProperty("originalExpiration") == null ? null : m.getObjectProperty("originalExpiration").getClass().getSimpleName()))
            .append('}');
      }
      return sb.append("]}").toString();
    } finally {
      c.close();
    }
  }

  /**
   * Redeliveries after Session.recover count for the broker too: a consumer on a new session
   * gets the message with the delivery count the old one had reached, plus its own.
   */
  static String recoverThenClose(ActiveMQConnectionFactory f, String prefix) throws Exception {
    f.getRedeliveryPolicy().setInitialRedeliveryDelay(0);
    f.getRedeliveryPolicy().setRedeliveryDelay(0);
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".rc");
      s.createProducer(q).send(s.createTextMessage("m"));
      MessageConsumer consumer = s.createConsumer(q);
      List<Integer> counts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Message m = consumer.receive(WAIT_MS);
        counts.add(m.getIntProperty("JMSXDeliveryCount"));
        s.recover();
      }
      Message m = consumer.receive(WAIT_MS);
      counts.add(m.getIntProperty("JMSXDeliveryCount"));
      s.close();
      Session s2 = c.createSession(false, Session.CLIENT_ACKNOWLEDGE);
      Message again = s2.createConsumer(q).receive(WAIT_MS);
      again.acknowledge();
      return "{\"counts\":" + counts + ",\"afterClose\":" + again.getIntProperty("JMSXDeliveryCount") + ",\"redelivered\":"
          + again.getJMSRedelivered() + "}";
    } finally {
      c.close();
    }
  }

  /**
   * A transacted session: sends are invisible until commit and gone on rollback; a received
   * message rolled back comes again, redelivered, and a committed receive takes it for good.
   */
  static String transactions(ActiveMQConnectionFactory f, String prefix) throws Exception {
    f.getRedeliveryPolicy().setInitialRedeliveryDelay(0);
    f.getRedeliveryPolicy().setRedeliveryDelay(0);
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session tx = c.createSession(true, Session.SESSION_TRANSACTED);
      Session auto = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = tx.createQueue(prefix + ".tx");
      Destination in = tx.createQueue(prefix + ".in");
      MessageProducer p = tx.createProducer(q);
      MessageConsumer watcher = auto.createConsumer(q);
      p.send(tx.createTextMessage("m0"));
      p.send(tx.createTextMessage("m1"));
      Message early = watcher.receive(500);
      tx.commit();
      String committed = texts(watcher, 2);
      p.send(tx.createTextMessage("m2"));
      tx.rollback();
      Message afterRollback = watcher.receive(500);
      auto.createProducer(in).send(auto.createTextMessage("x0"));
      MessageConsumer txc = tx.createConsumer(in);
      Message first = txc.receive(WAIT_MS);
      tx.rollback();
      Message again = txc.receive(WAIT_MS);
      tx.commit();
      txc.close();
      Message left = auto.createConsumer(in).receive(500);
      return "{\"early\":" + (early != null) + ",\"committed\":" + committed + ",\"afterRollback\":" + (afterRollback != null)
          + ",\"first\":" + quote(((TextMessage) first).getText()) + ",\"again\":" + quote(((TextMessage) again).getText())
          + ",\"againRedelivered\":" + again.getJMSRedelivered() + ",\"againCount\":" + again.getIntProperty("JMSXDeliveryCount")
          + ",\"left\":" + (left != null) + "}";
    } finally {
      c.close();
    }
  }

  /**
   * Request/reply over temporary destinations: a requester's temporary queue (and topic) as
   * JMSReplyTo, answered by a responder on another connection; a consumer from another
   * connection is refused; once the requester's connection closes, its temporary queue is gone.
   */
  static String tempRequestReply(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection responder = f.createConnection("guest", "guest");
    Connection requester = f.createConnection("guest", "guest");
    try {
      responder.start();
      requester.start();
      Session rs = responder.createSession(false, Session.AUTO_ACKNOWLEDGE);
      MessageConsumer requests = rs.createConsumer(rs.createQueue(prefix + ".requests"));
      MessageProducer replier = rs.createProducer(null);
      Session qs = requester.createSession(false, Session.AUTO_ACKNOWLEDGE);
      javax.jms.TemporaryQueue tq = qs.createTemporaryQueue();
      javax.jms.TemporaryTopic tt = qs.createTemporaryTopic();
      MessageConsumer replies = qs.createConsumer(tq);
      MessageConsumer topicReplies = qs.createConsumer(tt);
      MessageProducer asker = qs.createProducer(qs.createQueue(prefix + ".requests"));
      List<String> answers = new ArrayList<>();
      Destination[] replyTos = {tq, tt};
      for (int i = 0; i < 2; i++) {
        TextMessage req = qs.createTextMessage("q" + i);
        req.setJMSReplyTo(replyTos[i]);
        req.setJMSCorrelationID("c" + i);
        asker.send(req);
        Message got = requests.receive(WAIT_MS);
        TextMessage answer = rs.createTextMessage("answer to " + ((TextMessage) got).getText());
        answer.setJMSCorrelationID(got.getJMSCorrelationID());
        replier.send(got.getJMSReplyTo(), answer);
        Message reply = (i == 0 ? replies : topicReplies).receive(WAIT_MS);
        answers.add(reply == null ? "none" : ((TextMessage) reply).getText() + "/" + reply.getJMSCorrelationID() + "/" + String.valueOf(reply.getJMSDestination()).replaceAll("ID:.*", "ID:…"));
      }
      String foreignConsumer;
      try {
        rs.createConsumer(tq);
        foreignConsumer = "accepted";
      } catch (JMSException e) {
        foreignConsumer = e.getClass().getName();
      }
      String tqName = tq.toString().startsWith("temp-queue://ID:") ? "temp-queue://ID:…" : tq.toString();
      requester.close();
      // the responder hears of the deletion (advisory), so sending there now fails
      String afterClose = "sent";
      for (int i = 0; i < 50 && afterClose.equals("sent"); i++) {
        try {
          replier.send(tq, rs.createTextMessage("late"));
          Thread.sleep(100);
        } catch (JMSException e) {
          afterClose = e.getClass().getName();
        }
      }
      return "{\"answers\":" + strings(answers) + ",\"tempQueue\":" + quote(tqName) + ",\"foreignConsumer\":" + quote(foreignConsumer)
          + ",\"afterClose\":" + quote(afterClose) + "}";
    } finally {
      responder.close();
      try { requester.close(); } catch (JMSException ignored) { }
    }
  }

  /**
   * A durable topic subscriber (clientID + subscription name) keeps messages while its connection
   * is gone; a second active one with the same name is refused; unsubscribe is refused while it
   * is active, and afterwards the subscription and what it held are gone.
   */
  static String durableSubscriber(ActiveMQConnectionFactory f, String prefix) throws Exception {
    String clientId = prefix + "-durable";
    Connection producerConn = f.createConnection("guest", "guest");
    producerConn.start();
    Session ps = producerConn.createSession(false, Session.AUTO_ACKNOWLEDGE);
    javax.jms.Topic topic = ps.createTopic(prefix + ".news");
    MessageProducer p = ps.createProducer(topic);
    StringBuilder sb = new StringBuilder("{");
    try {
      Connection c = f.createConnection("guest", "guest");
      c.setClientID(clientId);
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      javax.jms.TopicSubscriber sub = s.createDurableSubscriber(topic, "sub");
      p.send(ps.createTextMessage("m0"));
      sb.append("\"online\":").append(texts(sub, 1));
      Session s2 = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      try {
        s2.createDurableSubscriber(topic, "sub");
        sb.append(",\"duplicate\":null");
      } catch (JMSException e) {
        sb.append(",\"duplicate\":").append(quote(e.getClass().getName())).append(",\"duplicateMessage\":").append(quote(e.getMessage()));
      }
      try {
        s.unsubscribe("sub");
        sb.append(",\"unsubscribeActive\":null");
      } catch (JMSException e) {
        sb.append(",\"unsubscribeActive\":").append(quote(e.getClass().getName())).append(",\"unsubscribeActiveMessage\":").append(quote(e.getMessage()));
      }
      c.close();
      p.send(ps.createTextMessage("m1"));
      p.send(ps.createTextMessage("m2"));
      Connection c2 = f.createConnection("guest", "guest");
      c2.setClientID(clientId);
      c2.start();
      Session s3 = c2.createSession(false, Session.AUTO_ACKNOWLEDGE);
      javax.jms.TopicSubscriber again = s3.createDurableSubscriber(topic, "sub");
      sb.append(",\"afterReconnect\":").append(texts(again, 2));
      Message extra = again.receive(300);
      sb.append(",\"extra\":").append(extra != null);
      again.close();
      p.send(ps.createTextMessage("m3"));
      s3.unsubscribe("sub");
      javax.jms.TopicSubscriber fresh = s3.createDurableSubscriber(topic, "sub");
      Message afterUnsubscribe = fresh.receive(500);
      sb.append(",\"afterUnsubscribe\":").append(afterUnsubscribe != null);
      fresh.close();
      s3.unsubscribe("sub");
      try {
        s3.unsubscribe("sub");
        sb.append(",\"unsubscribeMissing\":null");
      } catch (JMSException e) {
        sb.append(",\"unsubscribeMissing\":").append(quote(e.getClass().getName())).append(",\"unsubscribeMissingMessage\":").append(quote(e.getMessage()));
      }
      c2.close();
      return sb.append("}").toString();
    } finally {
      producerConn.close();
    }
  }

  /** A queue browser sees the queue's messages (those its selector picks) and leaves them there. */
  static String browser(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      javax.jms.Queue q = s.createQueue(prefix + ".browse");
      MessageProducer p = s.createProducer(q);
      String[] colors = {"red", "blue", "red"};
      for (int i = 0; i < colors.length; i++) {
        TextMessage m = s.createTextMessage(colors[i] + "-" + i);
        m.setStringProperty("color", colors[i]);
        p.send(m);
      }
      List<String> all = browse(s.createBrowser(q));
      List<String> red = browse(s.createBrowser(q, "color = 'red'"));
      List<String> empty = browse(s.createBrowser(s.createQueue(prefix + ".empty")));
      String consumed = texts(s.createConsumer(q), 3);
      return "{\"all\":" + strings(all) + ",\"red\":" + strings(red) + ",\"empty\":" + strings(empty) + ",\"consumed\":" + consumed + "}";
    } finally {
      c.close();
    }
  }

  static List<String> browse(javax.jms.QueueBrowser b) throws JMSException {
    List<String> got = new ArrayList<>();
    Enumeration<?> e = b.getEnumeration();
    while (e.hasMoreElements()) got.add(((TextMessage) e.nextElement()).getText());
    b.close();
    return got;
  }

  /**
   * consumer.exclusive: one consumer gets everything while the others wait, and they take over
   * when it goes; consumer.priority: the higher one gets the messages while it has room.
   */
  static String exclusivePriority(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      MessageConsumer exclusive = s.createConsumer(s.createQueue(prefix + ".ex?consumer.exclusive=true"));
      MessageConsumer standby = s.createConsumer(s.createQueue(prefix + ".ex"));
      MessageProducer p = s.createProducer(s.createQueue(prefix + ".ex"));
      for (int i = 0; i < 4; i++) p.send(s.createTextMessage("e" + i));
      String toExclusive = texts(exclusive, 4);
      Message toStandby = standby.receive(300);
      exclusive.close();
      p.send(s.createTextMessage("e4"));
      String afterClose = texts(standby, 1);
      MessageConsumer low = s.createConsumer(s.createQueue(prefix + ".prio?consumer.priority=1"));
      MessageConsumer high = s.createConsumer(s.createQueue(prefix + ".prio?consumer.priority=9"));
      MessageProducer pp = s.createProducer(s.createQueue(prefix + ".prio"));
      for (int i = 0; i < 3; i++) pp.send(s.createTextMessage("p" + i));
      String toHigh = texts(high, 3);
      Message toLow = low.receive(300);
      return "{\"toExclusive\":" + toExclusive + ",\"toStandby\":" + (toStandby != null) + ",\"afterClose\":" + afterClose
          + ",\"toHigh\":" + toHigh + ",\"toLow\":" + (toLow != null) + "}";
    } finally {
      c.close();
    }
  }

  /**
   * Prefetch 0: consumers pull one message per receive (MessagePull), so none hoards; a pull that
   * finds nothing ends empty, at once for receiveNoWait and after the timeout for receive(ms).
   */
  static String prefetchZero(ActiveMQConnectionFactory f, String prefix) throws Exception {
    f.getPrefetchPolicy().setQueuePrefetch(0);
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".pull");
      MessageProducer p = s.createProducer(q);
      MessageConsumer a = s.createConsumer(q);
      MessageConsumer b = s.createConsumer(q);
      p.send(s.createTextMessage("m0"));
      p.send(s.createTextMessage("m1"));
      String fromA = texts(a, 1);
      String fromB = texts(b, 1);
      long t0 = System.currentTimeMillis();
      Message noWait = a.receiveNoWait();
      Message timedOut = a.receive(300);
      long waited = System.currentTimeMillis() - t0;
      p.send(s.createTextMessage("m2"));
      String later = texts(b, 1);
      return "{\"a\":" + fromA + ",\"b\":" + fromB + ",\"noWait\":" + (noWait != null) + ",\"timedOut\":" + (timedOut != null)
          + ",\"waitedAtLeastTimeout\":" + (waited >= 300) + ",\"later\":" + later + "}";
    } finally {
      c.close();
    }
  }

  /**
   * A message whose JMSExpiration passes in the queue is not delivered; a persistent one goes to
   * ActiveMQ.DLQ, a non-persistent one is dropped.
   */
  static String expiryToDlq(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(prefix + ".expiring");
      MessageProducer p = s.createProducer(q);
      for (int persistent = 0; persistent < 2; persistent++) {
        TextMessage m = s.createTextMessage(persistent == 1 ? "persistent" : "non-persistent");
        m.setStringProperty("origin", prefix);
        p.send(m, persistent == 1 ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT, 4, 200);
      }
      TextMessage keep = s.createTextMessage("kept");
      p.send(keep, DeliveryMode.PERSISTENT, 4, 0);
      Thread.sleep(600); // the TTL passes while the messages wait in the queue
      String got = texts(s.createConsumer(q), 2);
      MessageConsumer dlq = s.createConsumer(s.createQueue("ActiveMQ.DLQ"), "origin = '" + prefix + "'");
      StringBuilder sb = new StringBuilder("{\"got\":" + got + ",\"dlq\":[");
      for (int i = 0;; i++) {
        Message m = dlq.receive(i == 0 ? WAIT_MS : 500);
        if (m == null) break;
        sb.append(i > 0 ? "," : "").append("{\"text\":").append(quote(((TextMessage) m).getText()))
            .append(",\"cause\":").append(quote(m.getStringProperty("dlqDeliveryFailureCause")))
            .append(",\"expirationSet\":").append(m.getJMSExpiration() != 0)
            .append(",\"originalExpirationSet\":").append(m.getObjectProperty("originalExpiration") != null && m.getLongProperty("originalExpiration") != 0)
            .append(",\"originalDestination\":").append(quote(String.valueOf(((org.apache.activemq.command.ActiveMQMessage) m).getOriginalDestination()).replace(prefix, "P")))
            .append('}');
      }
      return sb.append("]}").toString();
    } finally {
      c.close();
    }
  }

  /** A durable subscription re-created on another topic replaces the old one and what it kept. */
  static String durableTopicChange(ActiveMQConnectionFactory f, String prefix) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    c.setClientID(prefix + "-change");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      javax.jms.Topic a = s.createTopic(prefix + ".a");
      javax.jms.Topic b = s.createTopic(prefix + ".b");
      MessageProducer p = s.createProducer(null);
      s.createDurableSubscriber(a, "sub").close();
      p.send(a, s.createTextMessage("a0"));
      javax.jms.TopicSubscriber onB = s.createDurableSubscriber(b, "sub");
      Message kept = onB.receive(500);
      p.send(a, s.createTextMessage("a1"));
      p.send(b, s.createTextMessage("b0"));
      String got = texts(onB, 1);
      Message extra = onB.receive(300);
      onB.close();
      s.unsubscribe("sub");
      return "{\"kept\":" + (kept == null ? "null" : quote(((TextMessage) kept).getText())) + ",\"got\":" + got + ",\"extra\":"
          + (extra == null ? "null" : quote(((TextMessage) extra).getText())) + "}";
    } finally {
      c.close();
    }
  }

  static String texts(MessageConsumer consumer, int n) throws JMSException {
    List<String> got = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Message m = consumer.receive(WAIT_MS);
      if (m == null) break;
      got.add(((TextMessage) m).getText());
    }
    return strings(got);
  }

  static String strings(List<String> l) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) sb.append(',');
      sb.append(quote(l.get(i)));
    }
    return sb.append(']').toString();
  }

  static String describe(Message m) throws JMSException {
    if (m == null) return "null";
    StringBuilder sb = new StringBuilder("{");
    if (m instanceof TextMessage) {
      sb.append("\"type\":\"text\",\"text\":").append(quote(((TextMessage) m).getText()));
    } else if (m instanceof BytesMessage) {
      BytesMessage b = (BytesMessage) m;
      byte[] body = new byte[(int) b.getBodyLength()];
      b.readBytes(body);
      sb.append("\"type\":\"bytes\",\"bytes\":[");
      for (int i = 0; i < body.length; i++) sb.append(i > 0 ? "," : "").append(body[i] & 0xff);
      sb.append(']');
    } else {
      sb.append("\"type\":").append(quote(m.getClass().getSimpleName()));
    }
    sb.append(",\"headers\":{");
    sb.append("\"JMSMessageID\":").append(quote(m.getJMSMessageID()));
    sb.append(",\"JMSCorrelationID\":").append(quote(m.getJMSCorrelationID()));
    sb.append(",\"JMSType\":").append(quote(m.getJMSType()));
    sb.append(",\"JMSDeliveryMode\":").append(m.getJMSDeliveryMode());
    sb.append(",\"JMSPriority\":").append(m.getJMSPriority());
    sb.append(",\"JMSExpirationSet\":").append(m.getJMSExpiration() != 0);
    sb.append(",\"JMSTimestampSet\":").append(m.getJMSTimestamp() != 0);
    sb.append(",\"JMSRedelivered\":").append(m.getJMSRedelivered());
    sb.append(",\"JMSReplyTo\":").append(quote(m.getJMSReplyTo() == null ? null : m.getJMSReplyTo().toString()));
    sb.append(",\"JMSDestination\":").append(quote(m.getJMSDestination() == null ? null : m.getJMSDestination().toString()));
    sb.append("},\"properties\":{");
    Enumeration<?> names = m.getPropertyNames();
    List<String> sorted = new ArrayList<>();
    while (names.hasMoreElements()) sorted.add((String) names.nextElement());
    java.util.Collections.sort(sorted);
    boolean first = true;
    for (String name : sorted) {
      if (name.startsWith("JMSX")) continue;
      Object v = m.getObjectProperty(name);
      sb.append(first ? "" : ",").append(quote(name)).append(":{\"class\":").append(quote(v.getClass().getSimpleName()))
          .append(",\"value\":").append(quote(String.valueOf(v))).append('}');
      first = false;
    }
    return sb.append("}}").toString();
  }

  static String quote(String s) {
    if (s == null) return "null";
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') sb.append('\\').append(ch);
      else if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
      else sb.append(ch);
    }
    return sb.append('"').toString();
  }
}
