package ssmreach.local;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * EC2's request rate limiting, as the account sees it: one token bucket per API, per account and
 * Region, shared by every caller; a request takes a token or is refused with
 * {@code RequestLimitExceeded}; each bucket refills at its rate up to its capacity. Sizes and
 * rates are EC2's documented ones ("Request token bucket sizes and refill rates",
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): non-mutating actions
 * 100 and 20 per second, the same unfiltered and unpaginated for a few of them 50 and 10, mutating
 * and resource-intensive actions 50 and 5, and the listed uncategorized actions their own.
 *
 * <p>Every request is also recorded (API, time, throttled or not), for the rates a benchmark reports.
 */
public final class Ec2Throttling {
    /** A bucket's documented capacity and refill rate (tokens per second). */
    public record Bucket(double capacity, double refillPerSecond) {}

    /** One request as the throttle saw it. */
    public record Request(String api, long atNanos, boolean throttled) {}

    static final Bucket NON_MUTATING = new Bucket(100, 20);
    static final Bucket UNFILTERED_NON_MUTATING = new Bucket(50, 10);
    static final Bucket MUTATING = new Bucket(50, 5);
    static final Bucket RESOURCE_INTENSIVE = new Bucket(50, 5);

    /** The documented "Uncategorized actions" among those ssm-reach and its tests call. */
    static final Map<String, Bucket> UNCATEGORIZED = Map.of(
            "AssociateIamInstanceProfile", new Bucket(100, 5),
            "DisassociateIamInstanceProfile", new Bucket(100, 5),
            "CreateTags", new Bucket(100, 10),
            "DeleteTags", new Bucket(100, 10),
            "CreateVpcEndpoint", new Bucket(4, 0.3),
            "ModifyVpcEndpoint", new Bucket(4, 0.3),
            "DeleteVpcEndpoints", new Bucket(4, 0.3),
            "ModifyInstanceMetadataOptions", new Bucket(100, 5),
            "RunInstances", new Bucket(5, 2),
            "TerminateInstances", new Bucket(100, 5));
    static final Set<String> RESOURCE_INTENSIVE_ACTIONS = Set.of("AcceptVpcPeeringConnection", "AuthorizeSecurityGroupIngress",
            "CancelSpotInstanceRequests", "CreateKeyPair", "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection", "RevokeSecurityGroupIngress", "RequestSpotInstances");
    /** Non-mutating actions that use the smaller bucket when called with neither a filter nor pagination. */
    static final Set<String> UNFILTERED_ACTIONS = Set.of("DescribeInstances", "DescribeInstanceStatus", "DescribeNetworkInterfaces",
            "DescribeSecurityGroups", "DescribeSnapshots", "DescribeSpotInstanceRequests", "DescribeVolumes");

    private final boolean enabled;
    private final LongSupplier clock;
    private final Map<String, double[]> buckets = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    /** @param enabled false: every request passes (still recorded) */
    public Ec2Throttling(boolean enabled) {
        this(enabled, System::nanoTime);
    }

    Ec2Throttling(boolean enabled, LongSupplier clock) {
        this.enabled = enabled;
        this.clock = clock;
    }

    /** The bucket of a request: by its action, and for a few reads whether it has a filter or pagination. */
    public static Bucket bucketOf(String action, Map<String, String> form) {
        Bucket listed = UNCATEGORIZED.get(action);
        if (listed != null) {
            return listed;
        }
        if (RESOURCE_INTENSIVE_ACTIONS.contains(action)) {
            return RESOURCE_INTENSIVE;
        }
        if (action.startsWith("Describe") || action.startsWith("Get") || action.startsWith("List") || action.startsWith("Search")) {
            boolean narrowed = form.keySet().stream().anyMatch(k -> k.startsWith("Filter.") || k.equals("MaxResults") || k.equals("NextToken"));
            return UNFILTERED_ACTIONS.contains(action) && !narrowed ? UNFILTERED_NON_MUTATING : NON_MUTATING;
        }
        return MUTATING;
    }

    /** Takes a token for the request; false (and nothing taken) when its bucket is empty. */
    public boolean admit(String action, Map<String, String> form) {
        Bucket bucket = bucketOf(action, form);
        String key = action + (bucket == UNFILTERED_NON_MUTATING ? "/unfiltered" : "");
        long now = clock.getAsLong();
        boolean admitted = true;
        if (enabled) {
            double[] state = buckets.computeIfAbsent(key, k -> new double[] {bucket.capacity(), now});
            synchronized (state) {
                double tokens = Math.min(bucket.capacity(), state[0] + (now - (long) state[1]) / 1e9 * bucket.refillPerSecond());
                state[1] = now;
                admitted = tokens >= 1;
                state[0] = admitted ? tokens - 1 : tokens;
            }
        }
        requests.add(new Request(action, now, !admitted));
        return admitted;
    }

    /** Every EC2 request so far, in order of arrival. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Forgets the requests and refills every bucket (with the emulator's reset). */
    public void reset() {
        requests.clear();
        buckets.clear();
    }
}
