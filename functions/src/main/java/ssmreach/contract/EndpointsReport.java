package ssmreach.contract;

import java.util.List;

/**
 * The endpoints a VPC's subnets rely on and what was done to them. {@code allAvailable}: every one
 * is available; {@code settled}: none is still pending, so waiting longer cannot change anything.
 */
public record EndpointsReport(List<Endpoint> endpoints, List<Action> actions, List<Finding> findings,
                              boolean allAvailable, boolean settled) {
    public EndpointsReport {
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        actions = actions == null ? List.of() : List.copyOf(actions);
        findings = findings == null ? List.of() : List.copyOf(findings);
    }
}
