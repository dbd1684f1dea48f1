package ssmreach.contract;

import java.util.List;

/**
 * A batch of triggers grouped by VPC: one target per VPC (its new subnets, the subnets whose route
 * changed, and its instances), in VPC order; the instances that no longer exist (terminated before
 * the batch was read); and why route changes were left out (their route table or association no
 * longer exists, or no subnet uses the table).
 */
public record TargetGroups(List<Target> groups, List<String> gone, List<String> ignored) {
    public TargetGroups {
        groups = groups == null ? List.of() : List.copyOf(groups);
        gone = gone == null ? List.of() : List.copyOf(gone);
        ignored = ignored == null ? List.of() : List.copyOf(ignored);
    }

    public TargetGroups(List<Target> groups, List<String> gone) {
        this(groups, gone, List.of());
    }
}
