package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A batch of triggers grouped by VPC: one target per VPC (its new subnets, the subnets whose route
 * changed, and its instances), in VPC order; the instances that no longer exist (terminated before
 * the batch was read); and why route changes were left out (their route table or association no
 * longer exists, or no subnet uses the table). For a sweep: a page of the Region's VPCs, why others
 * were left out (opted out, shared by another account), the first VPC of the next page if there is
 * one ({@code next}). {@code concurrency}: how many of the groups run side by side.
 */
public record TargetGroups(List<Target> groups, List<String> gone, List<String> ignored, int concurrency,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String next) {
    public TargetGroups {
        groups = groups == null ? List.of() : List.copyOf(groups);
        gone = gone == null ? List.of() : List.copyOf(gone);
        ignored = ignored == null ? List.of() : List.copyOf(ignored);
    }

    /** A batch's groups: one VPC at a time. */
    public TargetGroups(List<Target> groups, List<String> gone, List<String> ignored) {
        this(groups, gone, ignored, 1, null);
    }

    public TargetGroups(List<Target> groups, List<String> gone) {
        this(groups, gone, List.of());
    }
}
