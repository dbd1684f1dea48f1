package ssmreach.contract;

/**
 * One change made (or, in a dry run, planned): the AWS operation, the resource it acts on, a human
 * detail, how many endpoint-zones it adds (what it costs per hour) and, for a planned change, what
 * the dry run proved of the permission to make it: {@code allowed} or {@code denied} (EC2 answered
 * the same request sent with DryRun), {@code unchecked} (the API offers no DryRun).
 *
 * <p>{@code found}: for a repair, what was undone since an earlier run, in one sentence (e.g.
 * "endpoint vpce-… for ssm no longer exists (deleted)"); null for a first-time change.
 */
public record Action(String operation, String resource, String detail, boolean planned, int endpointZonesAdded, String permission,
                     String found) {
    public static final String ALLOWED = "allowed";
    public static final String DENIED = "denied";
    public static final String UNCHECKED = "unchecked";

    /** A first-time change, with what its DryRun answered. */
    public Action(String operation, String resource, String detail, boolean planned, int endpointZonesAdded, String permission) {
        this(operation, resource, detail, planned, endpointZonesAdded, permission, null);
    }

    /** A change made, or planned without a proof of permission. */
    public Action(String operation, String resource, String detail, boolean planned, int endpointZonesAdded) {
        this(operation, resource, detail, planned, endpointZonesAdded, planned ? UNCHECKED : null);
    }

    public static Action of(String operation, String resource, String detail, boolean planned) {
        return new Action(operation, resource, detail, planned, 0);
    }

    /** The same planned change, with what its DryRun answered. */
    public Action withPermission(String verdict) {
        return new Action(operation, resource, detail, planned, endpointZonesAdded, verdict, found);
    }

    /** The same change as the repair of what {@code drift} says was undone (null: a first-time change after all). */
    public Action repairing(String drift) {
        return new Action(operation, resource, detail, planned, endpointZonesAdded, permission, drift);
    }

    public boolean repair() {
        return found != null;
    }
}
