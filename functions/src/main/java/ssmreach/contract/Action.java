package ssmreach.contract;

/**
 * One change made (or, in a dry run, planned): the AWS operation, the resource it acts on, a human
 * detail, how many endpoint-zones it adds (what it costs per hour) and, for a planned change, what
 * the dry run proved of the permission to make it: {@code allowed} or {@code denied} (EC2 answered
 * the same request sent with DryRun), {@code unchecked} (the API offers no DryRun).
 */
public record Action(String operation, String resource, String detail, boolean planned, int endpointZonesAdded, String permission) {
    public static final String ALLOWED = "allowed";
    public static final String DENIED = "denied";
    public static final String UNCHECKED = "unchecked";

    /** A change made, or planned without a proof of permission. */
    public Action(String operation, String resource, String detail, boolean planned, int endpointZonesAdded) {
        this(operation, resource, detail, planned, endpointZonesAdded, planned ? UNCHECKED : null);
    }

    public static Action of(String operation, String resource, String detail, boolean planned) {
        return new Action(operation, resource, detail, planned, 0);
    }

    /** The same planned change, with what its DryRun answered. */
    public Action withPermission(String verdict) {
        return new Action(operation, resource, detail, planned, endpointZonesAdded, verdict);
    }
}
