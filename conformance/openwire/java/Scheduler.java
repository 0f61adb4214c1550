// ActiveMQ's job scheduler for the OpenWire conformance suite (scheduler.test.ts), with ActiveMQ
// 5.17's own Java client: AMQ_SCHEDULED_CRON, what a broker refuses, and removing and browsing jobs
// through ActiveMQ.Scheduler.Management. Each scenario prints one JSON line of what it observed.
//
//   java -cp ... Scheduler <broker-url> <scenario> <name-prefix>
import java.util.ArrayList;
import java.util.List;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.ActiveMQMessage;

public final class Scheduler {
  /** A cron `* * * * *` job's first copy comes at the next minute boundary: at most 60 s away. */
  private static final long CRON_WAIT_MS = 65_000;
  private static final long QUIET_MS = 500;

  public static void main(String[] args) throws Exception {
    ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(args[0]);
    String out;
    switch (args[1]) {
      case "cron": out = cron(factory, args[2]); break;
      case "refused": out = refused(factory, args[2]); break;
      case "remove": out = remove(factory, args[2]); break;
      case "browse": out = browse(factory, args[2]); break;
      default: throw new IllegalArgumentException("unknown scenario " + args[1]);
    }
    System.out.println(out);
    System.exit(0);
  }

  /**
   * AMQ_SCHEDULED_CRON `* * * * *`: nothing at once, one copy at the next minute boundary, with a
   * JMSMessageID of its own, a scheduledJobId and no AMQ_SCHEDULED_CRON; then the job is removed.
   */
  static String cron(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(p + ".cron");
      MessageConsumer consumer = s.createConsumer(q);
      MessageProducer producer = s.createProducer(q);
      producer.setDeliveryMode(DeliveryMode.PERSISTENT);
      TextMessage sent = s.createTextMessage("every minute");
      sent.setStringProperty("AMQ_SCHEDULED_CRON", "* * * * *");
      producer.send(sent);
      long sentAt = System.currentTimeMillis();
      StringBuilder sb = new StringBuilder("{\"early\":").append(consumer.receive(QUIET_MS) != null);
      Message m = consumer.receive(CRON_WAIT_MS);
      long at = System.currentTimeMillis();
      sb.append(",\"copy\":").append(copy(m, sent.getJMSMessageID()));
      // ActiveMQ's first cron time is the minute boundary after the send (a little later at most)
      long boundary = (sentAt / 60_000 + 1) * 60_000;
      sb.append(",\"atMinuteBoundary\":").append(m != null && at >= boundary - 1000 && at < boundary + 5000);
      if (m != null) removeJob(s, m.getStringProperty("scheduledJobId"));
      return sb.append('}').toString();
    } finally {
      c.close();
    }
  }

  /**
   * Schedules the broker refuses (set past the client's own checks, which refuse a bad cron
   * expression before it is sent): the exception the send gets.
   */
  static String refused(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(p + ".refused");
      MessageProducer producer = s.createProducer(q);
      producer.setDeliveryMode(DeliveryMode.PERSISTENT);
      StringBuilder sb = new StringBuilder("{");
      sb.append("\"tokens\":").append(sendWith(s, producer, "AMQ_SCHEDULED_CRON", "* * *"));
      sb.append(",\"number\":").append(sendWith(s, producer, "AMQ_SCHEDULED_CRON", "x * * * *"));
      sb.append(",\"zeroStep\":").append(sendWith(s, producer, "AMQ_SCHEDULED_CRON", "*/0 * * * *"));
      sb.append(",\"repeat\":").append(sendWith(s, producer, "AMQ_SCHEDULED_REPEAT", Integer.valueOf(5000)));
      // the client's own check of a property it is given
      String client;
      try {
        s.createTextMessage("x").setStringProperty("AMQ_SCHEDULED_CRON", "70 * * * *");
        client = "null";
      } catch (JMSException e) {
        client = Jms.quote(e.getClass().getName() + ": " + e.getMessage());
      }
      sb.append(",\"client\":").append(client);
      // nothing of them was delivered
      MessageConsumer consumer = s.createConsumer(q);
      sb.append(",\"delivered\":").append(consumer.receive(QUIET_MS) != null);
      return sb.append('}').toString();
    } finally {
      c.close();
    }
  }

  /**
   * A job of 1 + 1000 copies 100 ms apart goes until a message to ActiveMQ.Scheduler.Management
   * with AMQ_SCHEDULER_ACTION REMOVE names its scheduledJobId.
   */
  static String remove(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(p + ".remove");
      MessageConsumer consumer = s.createConsumer(q);
      MessageProducer producer = s.createProducer(q);
      TextMessage sent = s.createTextMessage("again");
      sent.setLongProperty("AMQ_SCHEDULED_PERIOD", 100);
      sent.setIntProperty("AMQ_SCHEDULED_REPEAT", 1000);
      producer.send(sent);
      Message first = consumer.receive(5000);
      Message second = consumer.receive(5000);
      String job = first == null ? null : first.getStringProperty("scheduledJobId");
      StringBuilder sb = new StringBuilder("{\"twoCopies\":").append(first != null && second != null);
      sb.append(",\"sameJob\":").append(job != null && second != null && job.equals(second.getStringProperty("scheduledJobId")));
      removeJob(s, job);
      // what was on its way still comes; then nothing more
      int after = 0;
      while (consumer.receive(1000) != null) after++;
      sb.append(",\"stopped\":").append(after < 20);
      return sb.append('}').toString();
    } finally {
      c.close();
    }
  }

  /**
   * AMQ_SCHEDULER_ACTION BROWSE with a JMSReplyTo: a copy of each job's message comes to the
   * reply queue (all jobs, then only those next due in ACTION_START_TIME..ACTION_END_TIME), and
   * the jobs themselves go on; REMOVE then takes them. Jobs are the broker's, so other scenarios'
   * jobs come too: only those carrying this scenario's `scenario` property count.
   */
  static String browse(ActiveMQConnectionFactory f, String p) throws Exception {
    Connection c = f.createConnection("guest", "guest");
    try {
      c.start();
      Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
      Destination q = s.createQueue(p + ".browse");
      MessageProducer producer = s.createProducer(q);
      producer.setDeliveryMode(DeliveryMode.PERSISTENT);
      TextMessage soon = s.createTextMessage("in a minute");
      soon.setLongProperty("AMQ_SCHEDULED_DELAY", 60_000);
      soon.setStringProperty("app", "x");
      soon.setStringProperty("scenario", p);
      producer.send(soon);
      TextMessage later = s.createTextMessage("in an hour");
      later.setLongProperty("AMQ_SCHEDULED_DELAY", 3_600_000);
      later.setStringProperty("scenario", p);
      producer.send(later);
      long sentAt = System.currentTimeMillis();
      Destination replies = s.createTemporaryQueue();
      MessageConsumer consumer = s.createConsumer(replies);
      MessageProducer admin = s.createProducer(s.createTopic("ActiveMQ.Scheduler.Management"));
      Message all = s.createMessage();
      all.setStringProperty("AMQ_SCHEDULER_ACTION", "BROWSE");
      all.setJMSReplyTo(replies);
      admin.send(all);
      StringBuilder sb = new StringBuilder("{\"all\":[");
      List<String> jobs = new ArrayList<>();
      for (Message m; (m = consumer.receive(2000)) != null; ) {
        if (!p.equals(m.getStringProperty("scenario"))) continue;
        if (!jobs.isEmpty()) sb.append(',');
        jobs.add(m.getStringProperty("scheduledJobId"));
        TextMessage t = (TextMessage) m;
        Object delay = m.getObjectProperty("AMQ_SCHEDULED_DELAY");
        sb.append("{\"text\":").append(Jms.quote(t.getText()));
        sb.append(",\"delay\":").append(delay == null ? "null" : Jms.quote(delay.getClass().getSimpleName() + " " + delay));
        sb.append(",\"app\":").append(m.getStringProperty("app") == null ? "null" : Jms.quote(m.getStringProperty("app")));
        sb.append(",\"hasJobId\":").append(m.getStringProperty("scheduledJobId") != null);
        sb.append(",\"newId\":").append(!soon.getJMSMessageID().equals(m.getJMSMessageID()) && !later.getJMSMessageID().equals(m.getJMSMessageID()));
        sb.append(",\"type\":").append(m.getJMSType() == null ? "null" : Jms.quote(m.getJMSType()));
        sb.append(",\"persistent\":").append(m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT);
        sb.append(",\"toReplies\":").append(replies.equals(m.getJMSDestination()));
        sb.append('}');
      }
      sb.append("],\"window\":[");
      Message window = s.createMessage();
      window.setStringProperty("AMQ_SCHEDULER_ACTION", "BROWSE");
      window.setLongProperty("ACTION_START_TIME", sentAt);
      window.setLongProperty("ACTION_END_TIME", sentAt + 600_000);
      window.setJMSReplyTo(replies);
      admin.send(window);
      boolean first = true;
      for (Message m; (m = consumer.receive(2000)) != null; ) {
        if (!p.equals(m.getStringProperty("scenario"))) continue;
        if (!first) sb.append(',');
        first = false;
        sb.append(Jms.quote(((TextMessage) m).getText()));
      }
      // browsing took nothing away: both jobs are still there to remove
      for (String job : jobs) {
        if (job != null) removeJob(s, job);
      }
      admin.send(all);
      boolean left = false;
      for (Message m; (m = consumer.receive(2000)) != null; ) left |= p.equals(m.getStringProperty("scenario"));
      sb.append("],\"afterRemove\":").append(left);
      MessageConsumer target = s.createConsumer(q);
      sb.append(",\"delivered\":").append(target.receive(QUIET_MS) != null);
      return sb.append('}').toString();
    } finally {
      c.close();
    }
  }

  /** A send whose property `name` is `value`: "sent", or the exception it got. */
  static String sendWith(Session s, MessageProducer producer, String name, Object value) throws Exception {
    TextMessage m = s.createTextMessage("x");
    if (name.equals("AMQ_SCHEDULED_REPEAT")) m.setLongProperty("AMQ_SCHEDULED_PERIOD", 1000);
    ((ActiveMQMessage) m).setProperty(name, value); // past the client's checks, as another client sends it
    try {
      producer.send(m);
      return Jms.quote("sent");
    } catch (JMSException e) {
      return Jms.quote(e.getClass().getName() + ": " + e.getMessage());
    }
  }

  /** Removes a job through the scheduler's management destination. */
  static void removeJob(Session s, String jobId) throws Exception {
    MessageProducer admin = s.createProducer(s.createTopic("ActiveMQ.Scheduler.Management"));
    Message remove = s.createMessage();
    remove.setStringProperty("AMQ_SCHEDULER_ACTION", "REMOVE");
    remove.setStringProperty("scheduledJobId", jobId);
    admin.send(remove);
    admin.close();
  }

  static String copy(Message m, String sentId) throws Exception {
    if (m == null) return "null";
    StringBuilder sb = new StringBuilder("{\"text\":" + Jms.quote(((TextMessage) m).getText()));
    sb.append(",\"sameId\":").append(sentId.equals(m.getJMSMessageID()));
    sb.append(",\"hasJobId\":").append(m.getStringProperty("scheduledJobId") != null);
    sb.append(",\"cron\":").append(m.getObjectProperty("AMQ_SCHEDULED_CRON") == null ? "null" : "\"present\"");
    return sb.append('}').toString();
  }
}
