package ssmreach.contract;

import java.util.List;

/**
 * A batch of triggers grouped by VPC: one target per VPC (its new subnets and its instances), in
 * VPC order, and the instances that no longer exist (terminated before the batch was read).
 */
public record TargetGroups(List<Target> groups, List<String> gone) {
    public TargetGroups {
        groups = groups == null ? List.of() : List.copyOf(groups);
        gone = gone == null ? List.of() : List.copyOf(gone);
    }
}
