package ssmreach.contract;

/**
 * One change made (or, in a dry run, planned): the AWS operation, the resource it acts on, a human
 * detail, and how many endpoint-zones it adds (what it costs per hour).
 */
public record Action(String operation, String resource, String detail, boolean planned, int endpointZonesAdded) {
    public static Action of(String operation, String resource, String detail, boolean planned) {
        return new Action(operation, resource, detail, planned, 0);
    }
}
