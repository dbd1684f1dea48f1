package ssmreach.local;

import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Tag;

/** Seeds the emulator with VPCs, subnets, routes and instances, straight to moto (not recorded): for tests and the benchmark. */
public record World(Ec2Client ec2) {
    public String vpc(String cidr) {
        String vpcId = ec2.createVpc(r -> r.cidrBlock(cidr)).vpc().vpcId();
        // AWS's defaults for a new VPC: DNS support on, DNS hostnames off.
        ec2.modifyVpcAttribute(r -> r.vpcId(vpcId).enableDnsHostnames(v -> v.value(false)));
        return vpcId;
    }

    public String subnet(String vpcId, String cidr, String zone) {
        return ec2.createSubnet(r -> r.vpcId(vpcId).cidrBlock(cidr).availabilityZone(zone)).subnet().subnetId();
    }

    /** A route table of its own for the subnet, so that routes added there concern it alone. */
    public String ownRouteTable(String vpcId, String subnetId) {
        String table = ec2.createRouteTable(r -> r.vpcId(vpcId)).routeTable().routeTableId();
        ec2.associateRouteTable(r -> r.routeTableId(table).subnetId(subnetId));
        return table;
    }

    public String internetRoute(String vpcId, String routeTableId) {
        String igw = ec2.createInternetGateway(r -> {}).internetGateway().internetGatewayId();
        ec2.attachInternetGateway(r -> r.internetGatewayId(igw).vpcId(vpcId));
        ec2.createRoute(r -> r.routeTableId(routeTableId).destinationCidrBlock("0.0.0.0/0").gatewayId(igw));
        return igw;
    }

    /** A NAT gateway in the (public) subnet, and the table's default route through it. */
    public String natRoute(String publicSubnetId, String routeTableId) {
        String allocation = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
        String nat = ec2.createNatGateway(r -> r.subnetId(publicSubnetId).allocationId(allocation)).natGateway().natGatewayId();
        ec2.createRoute(r -> r.routeTableId(routeTableId).destinationCidrBlock("0.0.0.0/0").natGatewayId(nat));
        return nat;
    }

    /** A running instance (moto starts instances running), optionally with an instance profile. */
    public String instance(String subnetId, String profileArn) {
        return ec2.runInstances(r -> {
            r.imageId("ami-12c6146b").instanceType("t3.micro").minCount(1).maxCount(1).subnetId(subnetId);
            if (profileArn != null) {
                r.iamInstanceProfile(p -> p.arn(profileArn));
            }
        }).instances().getFirst().instanceId();
    }

    /** An Elastic IP on the instance: its public IPv4 address, which an internet gateway route needs. */
    public String elasticIp(String instanceId) {
        String allocation = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
        ec2.associateAddress(r -> r.allocationId(allocation).instanceId(instanceId));
        return allocation;
    }

    public void tag(String resourceId, String key, String value) {
        ec2.createTags(r -> r.resources(resourceId).tags(Tag.builder().key(key).value(value).build()));
    }

    public String mainRouteTable(String vpcId) {
        return ec2.describeRouteTables(r -> r.filters(f -> f.name("vpc-id").values(vpcId), f -> f.name("association.main").values("true")))
                .routeTables().getFirst().routeTableId();
    }
}
