package ssmreach.contract;

import java.util.Map;

/**
 * One target subnet as found: its route table (explicit association or the VPC's main table),
 * where its default route leads, and whether it is in scope. {@code tags} holds the subnet's
 * current ssm-reach tags, so that tags are only written when they change.
 */
public record SubnetClassification(
        String subnetId,
        String availabilityZone,
        String cidrBlock,
        String routeTableId,
        boolean explicitRouteTable,
        Route route,
        String defaultRouteTarget,
        SubnetStatus status,
        String reason,
        Map<String, String> tags) {

    public SubnetClassification {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
    }

    public static SubnetClassification gone(String subnetId) {
        return new SubnetClassification(subnetId, null, null, null, false, null, null, SubnetStatus.GONE,
                "the subnet does not exist (deleted meanwhile?)", Map.of());
    }

    public boolean inScope() {
        return status == SubnetStatus.IN_SCOPE;
    }
}
