package ssmreach.contract;

import java.util.List;

/**
 * A VPC's result in a few hundred bytes, what a sweep keeps of each VPC: its tally and each change
 * made or planned, as {@code "Operation resource"} (with the endpoint-zones it adds).
 */
public record VpcSummary(Tally tally, List<String> actions) {
    public VpcSummary {
        tally = tally == null ? Tally.NONE : tally;
        actions = actions == null ? List.of() : List.copyOf(actions);
    }
}
