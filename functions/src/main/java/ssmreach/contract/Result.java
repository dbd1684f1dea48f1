package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigDecimal;
import java.util.List;

/**
 * The execution's output, also published to EventBridge and SNS. {@code outcome} is one of
 * {@code remediated}, {@code compliant} (nothing needed doing), {@code planned} (dry run),
 * {@code skipped} (nothing in scope), {@code ignored} (trigger with nothing to do), {@code gone},
 * {@code incomplete} (findings stand in the way, or an instance is not Online by the deadline),
 * {@code diagnosed} (diagnosis asked for), {@code failed} (with {@link Failure}). A VPC's result
 * carries its {@code summary} (what a sweep keeps of it; always written, null when no VPC was
 * evaluated, for the sweep's Map reads it); a sweep's result carries the
 * {@code region} report, and its outcome sums its VPCs' up.
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
        String evaluatedAt,
        @JsonInclude(JsonInclude.Include.ALWAYS) VpcSummary summary,
        @JsonInclude(JsonInclude.Include.NON_NULL) RegionReport region) {

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
