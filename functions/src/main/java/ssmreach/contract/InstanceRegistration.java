package ssmreach.contract;

/** What SSM says of one instance: its PingStatus (null: not registered), and when it was first Online. */
public record InstanceRegistration(String instanceId, String pingStatus, String onlineAt, Long secondsToOnline) {
    public boolean online() {
        return "Online".equals(pingStatus);
    }
}
