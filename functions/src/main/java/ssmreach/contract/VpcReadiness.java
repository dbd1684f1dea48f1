package ssmreach.contract;

import java.util.List;

/**
 * The VPC after preparation: the managed security group (null in a dry run that would create it)
 * and whether private DNS can work ({@code dnsReady}: both DNS attributes on, or being turned on).
 */
public record VpcReadiness(String securityGroupId, boolean dnsReady, List<Action> actions, List<Finding> findings) {
    public VpcReadiness {
        actions = actions == null ? List.of() : List.copyOf(actions);
        findings = findings == null ? List.of() : List.copyOf(findings);
    }
}
