package ssmreach.contract;

import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a VPC stands, or a whole Region (the sum of its VPCs): subnets by route and status
 * ({@code "isolated/in-scope"}), instances by registration ({@code Online}, {@code not-registered},
 * ...; {@code not-in-scope} for those of subnets out of scope, {@code skipped} for others left
 * alone), findings by code, the SSM interface endpoint-zones it relies on and what they cost a
 * month, the changes made (or planned) and how many of them repaired what was undone, and the
 * endpoint-zones those added and their monthly cost.
 */
public record Tally(Map<String, Integer> subnets, Map<String, Integer> instances, Map<String, Integer> findings,
                    int endpointZones, BigDecimal endpointMonthlyCostUsd, int actions, int repairs,
                    int endpointZonesAdded, BigDecimal monthlyCostAddedUsd) {
    public static final Tally NONE = new Tally(Map.of(), Map.of(), Map.of(), 0, BigDecimal.ZERO, 0, 0, 0, BigDecimal.ZERO);

    public Tally {
        subnets = sorted(subnets);
        instances = sorted(instances);
        findings = sorted(findings);
        endpointMonthlyCostUsd = endpointMonthlyCostUsd == null ? BigDecimal.ZERO : endpointMonthlyCostUsd;
        monthlyCostAddedUsd = monthlyCostAddedUsd == null ? BigDecimal.ZERO : monthlyCostAddedUsd;
    }

    public Tally plus(Tally other) {
        if (other == null) {
            return this;
        }
        return new Tally(sum(subnets, other.subnets), sum(instances, other.instances), sum(findings, other.findings),
                endpointZones + other.endpointZones, endpointMonthlyCostUsd.add(other.endpointMonthlyCostUsd),
                actions + other.actions, repairs + other.repairs, endpointZonesAdded + other.endpointZonesAdded,
                monthlyCostAddedUsd.add(other.monthlyCostAddedUsd));
    }

    /** Counts by key, summed. */
    public static Map<String, Integer> sum(Map<String, Integer> a, Map<String, Integer> b) {
        Map<String, Integer> sum = new TreeMap<>(a == null ? Map.of() : a);
        if (b != null) {
            b.forEach((key, count) -> sum.merge(key, count, Integer::sum));
        }
        return java.util.Collections.unmodifiableMap(sum);
    }

    private static Map<String, Integer> sorted(Map<String, Integer> counts) {
        return counts == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(counts));
    }
}
