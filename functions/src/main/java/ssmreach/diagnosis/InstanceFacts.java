package ssmreach.diagnosis;

import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.NetworkAcl;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;

/**
 * Everything the diagnosis of one instance looks at, read beforehand so that the checks are pure.
 *
 * @param instance as EC2 describes it (null when it does not exist)
 * @param profileExists whether IAM still has the instance's profile (false without one)
 * @param deniedActions the agent actions its role does not allow; null when there is no role to ask
 * @param routeTable the subnet's route table (explicit, else main)
 * @param endpoints the VPC's endpoints
 * @param groups security groups by id (the instance's and the endpoints')
 * @param networkAcl the subnet's network ACL
 * @param vpcCidrs the VPC's CIDR blocks
 * @param dnsServers the DHCP options' domain-name-servers (empty: AmazonProvidedDNS)
 * @param subnetZones the zone of each subnet of the VPC
 * @param pingStatus what SSM says (null: not registered)
 */
public record InstanceFacts(
        String region,
        Instance instance,
        Subnet subnet,
        Map<String, String> subnetZones,
        boolean hasProfile,
        boolean profileExists,
        boolean profileHasRole,
        List<String> deniedActions,
        RouteTable routeTable,
        List<VpcEndpoint> endpoints,
        Map<String, SecurityGroup> groups,
        NetworkAcl networkAcl,
        List<String> vpcCidrs,
        boolean dnsSupport,
        boolean dnsHostnames,
        List<String> dnsServers,
        String pingStatus) {}
