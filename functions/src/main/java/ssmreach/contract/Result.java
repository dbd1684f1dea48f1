package ssmreach.contract;

import java.math.BigDecimal;
import java.util.List;

/**
 * The execution's output, also published to EventBridge and SNS. {@code outcome} is one of
 * {@code remediated}, {@code compliant} (nothing needed doing), {@code planned} (dry run),
 * {@code skipped} (nothing in scope), {@code ignored} (trigger with nothing to do), {@code gone},
 * {@code incomplete} (findings stand in the way, or an instance is not Online by the deadline),
 * {@code diagnosed} (diagnosis asked for), {@code failed} (with {@link Failure}).
 */
public record Result(
        String outcome,
        String source,
        boolean dryRun,
        String vpcId,
        List<SubnetResult> subnets,
        List<Action> actions,
        List<Endpoint> endpoints,
        List<InstanceResult> instances,
        List<Finding> findings,
        int endpointZonesAdded,
        BigDecimal monthlyCostAddedUsd,
        Failure error,
        String evaluatedAt) {

    /**
     * What ended a failed execution: the error's name as the workflow caught it (a function's
     * exception class, or States.* / Lambda.*) and its message; never the Java stack trace that
     * Step Functions' Cause carries for a function error.
     */
    public record Failure(String errorType, String errorMessage) {}

    /**
     * One instance in the result: what the profile step did, and its registration: a PingStatus,
     * {@code not-registered} by the deadline, or {@code not-awaited} (dry run, not running, or a
     * finding that rules it out).
     */
    public record InstanceResult(String instanceId, String subnetId, String state, String profileArn, String profileAction,
                                 String registration, Long secondsToOnline) {}

    /** One target subnet in the result. */
    public record SubnetResult(String subnetId, String availabilityZone, Route route, SubnetStatus status, String reason) {}
}
