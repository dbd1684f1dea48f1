package ssmreach.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Keeps a function's EC2 calls to a share of each API's documented refill rate (EC2 throttles per
 * API, per account and Region, for everyone in the account): before each call it waits until the
 * previous call of the same API is at least {@code 1 / (share × refill)} seconds old. One pacer
 * serves all of a function's clients; the workflow runs one of its functions at a time per VPC,
 * so a VPC's work never uses more than that share of any API.
 *
 * <p>Refill rates: "Request token bucket sizes and refill rates",
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html (non-mutating 20 per
 * second, mutating 5, the endpoint actions 0.3, CreateTags 10).
 */
public final class ApiPacer implements ExecutionInterceptor {
    /** Tokens per second refilled to the bucket of each API the functions call; others by their category. */
    static final Map<String, Double> REFILL_PER_SECOND = Map.of(
            "CreateVpcEndpoint", 0.3,
            "ModifyVpcEndpoint", 0.3,
            "CreateTags", 10.0,
            "AssociateIamInstanceProfile", 5.0,
            "AuthorizeSecurityGroupIngress", 5.0);
    private static final double NON_MUTATING = 20.0;
    private static final double MUTATING = 5.0;

    /** How the pacer waits; a test gives one that records instead of sleeping. */
    public interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private final double share;
    private final Sleeper sleeper;
    private final Map<String, Long> lastCall = new ConcurrentHashMap<>();

    public ApiPacer(double share) {
        this(share, nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
    }

    public ApiPacer(double share, Sleeper sleeper) {
        this.share = share;
        this.sleeper = sleeper;
    }

    /** The refill rate EC2 documents for an API. */
    public static double refillPerSecond(String operation) {
        Double listed = REFILL_PER_SECOND.get(operation);
        if (listed != null) {
            return listed;
        }
        return operation.startsWith("Describe") || operation.startsWith("Get") || operation.startsWith("List") ? NON_MUTATING : MUTATING;
    }

    /** The least time between two calls of an API, in nanoseconds (0: not paced). */
    public long intervalNanos(String operation) {
        return share <= 0 ? 0 : (long) (1_000_000_000L / (share * refillPerSecond(operation)));
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (share <= 0 || !"Ec2".equals(attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME))) {
            return;
        }
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        long interval = intervalNanos(operation);
        long wait;
        synchronized (lastCall) {
            long now = System.nanoTime();
            Long last = lastCall.get(operation);
            long next = last == null ? now : Math.max(now, last + interval);
            wait = next - now;
            lastCall.put(operation, next);
        }
        if (wait > 0) {
            try {
                sleeper.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while pacing " + operation, e);
            }
        }
    }
}
