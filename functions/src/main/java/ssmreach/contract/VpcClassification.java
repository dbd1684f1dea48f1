package ssmreach.contract;

import java.util.List;
import java.util.Map;

/**
 * The classification of a VPC's target subnets, plus what the endpoints need from the whole VPC:
 * one in-scope subnet per Availability Zone to host interface endpoints, the route tables of all
 * in-scope subnets for the S3 gateway, and each subnet's zone.
 */
public record VpcClassification(
        String vpcId,
        List<String> cidrBlocks,
        boolean anyInScope,
        List<SubnetClassification> subnets,
        Map<String, String> endpointSubnets,
        List<String> endpointRouteTables,
        Map<String, String> subnetZones) {

    public VpcClassification {
        cidrBlocks = cidrBlocks == null ? List.of() : List.copyOf(cidrBlocks);
        subnets = subnets == null ? List.of() : List.copyOf(subnets);
        endpointSubnets = endpointSubnets == null ? Map.of() : Map.copyOf(endpointSubnets);
        endpointRouteTables = endpointRouteTables == null ? List.of() : List.copyOf(endpointRouteTables);
        subnetZones = subnetZones == null ? Map.of() : Map.copyOf(subnetZones);
    }
}
