package ssmreach.contract;

import java.math.BigDecimal;
import java.util.List;

/**
 * The execution's output, also published to EventBridge and SNS. {@code outcome} is one of
 * {@code remediated}, {@code compliant} (nothing needed doing), {@code planned} (dry run),
 * {@code skipped} (nothing in scope), {@code ignored} (trigger with nothing to do), {@code gone},
 * {@code incomplete} (findings stand in the way), {@code failed}.
 */
public record Result(
        String outcome,
        String source,
        boolean dryRun,
        String vpcId,
        List<SubnetResult> subnets,
        List<Action> actions,
        List<Endpoint> endpoints,
        List<Finding> findings,
        int endpointZonesAdded,
        BigDecimal monthlyCostAddedUsd,
        ErrorInfo error,
        String evaluatedAt) {

    /** One target subnet in the result. */
    public record SubnetResult(String subnetId, String availabilityZone, Route route, SubnetStatus status, String reason) {}
}
