package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A sweep's report, where the Region stands: the totals of every VPC swept so far (this page and
 * the pages before it), and this page's VPCs one by one, with those left out and why. A Region
 * with more VPCs than a page holds is swept on by another execution, after {@code continuesAfter}.
 */
public record RegionReport(String region, Totals total, List<Line> vpcs, List<String> skipped,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String continuesAfter) {
    public RegionReport {
        vpcs = vpcs == null ? List.of() : List.copyOf(vpcs);
        skipped = skipped == null ? List.of() : List.copyOf(skipped);
    }

    /** VPCs swept, by outcome, left out, and their tally summed. */
    public record Totals(int vpcs, Map<String, Integer> outcomes, int skipped, Tally tally) {
        public static final Totals NONE = new Totals(0, Map.of(), 0, Tally.NONE);

        public Totals {
            outcomes = Tally.sum(outcomes, Map.of());
            tally = tally == null ? Tally.NONE : tally;
        }

        public Totals plus(Totals other) {
            return other == null ? this : new Totals(vpcs + other.vpcs, Tally.sum(outcomes, other.outcomes),
                    skipped + other.skipped, tally.plus(other.tally));
        }
    }

    /** One VPC: its outcome and execution, its summary, or why it failed. */
    public record Line(String vpcId, String outcome, String execution, VpcSummary summary,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String error) {}
}
