package ssmreach.contract;

import java.util.List;

/** The endpoints a VPC's subnets rely on, what was done to them, and whether all are available. */
public record EndpointsReport(List<Endpoint> endpoints, List<Action> actions, List<Finding> findings, boolean allAvailable) {
    public EndpointsReport {
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        actions = actions == null ? List.of() : List.copyOf(actions);
        findings = findings == null ? List.of() : List.copyOf(findings);
    }
}
