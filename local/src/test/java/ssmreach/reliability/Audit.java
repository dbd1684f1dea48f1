package ssmreach.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Vpc;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.CallLog;
import ssmreach.local.Ec2Throttling;
import ssmreach.local.Execution;
import ssmreach.local.FaultInjector;
import ssmreach.local.Safety;

/** The checks every reliability scenario ends with: the safety audit and the end state of a VPC. */
final class Audit {
    static final String PREFIX = "com.amazonaws.us-east-1.";
    static final Set<String> SERVICES = Set.of("ssm", "ssmmessages", "ec2messages");

    private Audit() {}

    /** What the VPC holds after remediation, by service. */
    record EndState(Map<String, List<VpcEndpoint>> interfaces, List<VpcEndpoint> gateways, List<SecurityGroup> managedGroups,
                    Map<String, String> subnetZones) {
        List<VpcEndpoint> privateDns(String service) {
            return interfaces.getOrDefault(service, List.of()).stream().filter(e -> Boolean.TRUE.equals(e.privateDnsEnabled())).toList();
        }

        Set<String> zonesOf(VpcEndpoint endpoint) {
            return endpoint.subnetIds().stream().map(subnetZones::get).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    static EndState endState(Ec2Client ec2, String vpc) {
        List<VpcEndpoint> all = ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpc))).vpcEndpoints();
        Map<String, List<VpcEndpoint>> interfaces = new TreeMap<>();
        all.stream().filter(e -> "Interface".equalsIgnoreCase(e.vpcEndpointTypeAsString()))
                .forEach(e -> interfaces.computeIfAbsent(e.serviceName().substring(PREFIX.length()), k -> new ArrayList<>()).add(e));
        List<VpcEndpoint> gateways = all.stream().filter(e -> "Gateway".equalsIgnoreCase(e.vpcEndpointTypeAsString())).toList();
        List<SecurityGroup> managed = ec2.describeSecurityGroups(r -> r.filters(f -> f.name("vpc-id").values(vpc))).securityGroups()
                .stream().filter(g -> g.tags().stream().anyMatch(t -> t.key().equals("ssm-reach:managed"))
                        || g.groupName().equals("ssm-reach-endpoints")).toList();
        Map<String, String> zones = new TreeMap<>();
        ec2.describeSubnets(r -> r.filters(f -> f.name("vpc-id").values(vpc))).subnets()
                .forEach(s -> zones.put(s.subnetId(), s.availabilityZone()));
        return new EndState(interfaces, gateways, managed, zones);
    }

    /**
     * Exactly one endpoint per service, with private DNS, one subnet in each zone of {@code zones};
     * one S3 gateway; one managed group.
     */
    static void converged(EndState state, Set<String> zones) {
        assertEquals(SERVICES, state.interfaces().keySet(), "interface endpoints by service");
        for (String service : SERVICES) {
            List<VpcEndpoint> endpoints = state.interfaces().get(service);
            assertEquals(1, endpoints.size(), service + ": exactly one endpoint, got " + endpoints.stream().map(VpcEndpoint::vpcEndpointId).toList());
            VpcEndpoint endpoint = endpoints.getFirst();
            assertTrue(endpoint.privateDnsEnabled(), service + " has private DNS");
            assertEquals(zones, state.zonesOf(endpoint), service + ": every zone with in-scope subnets covered");
            assertEquals(zones.size(), endpoint.subnetIds().size(), service + ": one subnet per zone");
        }
        assertEquals(1, state.gateways().size(), "one S3 gateway endpoint");
        assertEquals(1, state.managedGroups().size(), "one managed security group");
    }

    /**
     * Nothing the functions must never do ({@link Safety}: no Delete*, Disassociate*, Replace*,
     * Revoke*; every ingress rule requested is TCP 443 from a CIDR block of the VPC); rules only on
     * the managed group, and every rule of that group in the end is such a rule too.
     */
    static void safety(CallLog calls, Ec2Client ec2, String vpc) {
        EndState state = endState(ec2, vpc);
        Vpc described = ec2.describeVpcs(r -> r.vpcIds(vpc)).vpcs().getFirst();
        Set<String> blocks = new TreeSet<>();
        described.cidrBlockAssociationSet().forEach(b -> blocks.add(b.cidrBlock()));
        described.ipv6CidrBlockAssociationSet().forEach(b -> blocks.add(b.ipv6CidrBlock()));
        assertEquals(List.of(), Safety.violations(calls.mutatingCalls(), blocks), "what the functions must never do");
        Set<String> managedIds = state.managedGroups().stream().map(SecurityGroup::groupId).collect(Collectors.toSet());
        for (CallLog.Call call : calls.mutatingCalls()) {
            if (call.operation().startsWith("AuthorizeSecurityGroup")) {
                Matcher group = Pattern.compile("GroupId=(sg-[0-9a-f]+)").matcher(call.request());
                assertTrue(group.find() && managedIds.contains(group.group(1)), "rules only on the managed group: " + call.request());
            }
        }
        for (SecurityGroup group : state.managedGroups()) {
            for (IpPermission p : group.ipPermissions()) {
                assertEquals("tcp", p.ipProtocol());
                assertEquals(443, p.fromPort());
                assertEquals(443, p.toPort());
                assertTrue(p.userIdGroupPairs().isEmpty() && p.prefixListIds().isEmpty());
                p.ipRanges().forEach(r -> assertTrue(blocks.contains(r.cidrIp()), r.cidrIp()));
                p.ipv6Ranges().forEach(r -> assertTrue(blocks.contains(r.cidrIpv6()), r.cidrIpv6()));
            }
        }
    }

    /**
     * Every SDK retry answers a failure: an injected fault, or a request refused because its API's token bucket was
     * empty (as EC2 would have refused it).
     */
    static void assertSdkRetriesOnlyFailures(FaultInjector faults, Ec2Throttling throttling) {
        assertTrue(faults.errorsInjected() > 0, "faults were injected");
        long throttled = throttling.requests().stream().filter(Ec2Throttling.Request::throttled).count();
        assertTrue(faults.sdkRetries() <= faults.errorsInjected() + throttled, "the SDK retries only what failed: "
                + faults.sdkRetries() + " retries for " + faults.errorsInjected() + " faults injected and " + throttled
                + " requests EC2 throttled");
    }

    /** events/create-subnet.json as EventBridge would deliver it for this subnet. */
    static String createSubnetEvent(String subnet, String vpc, String zone) {
        return ssmreach.local.SampleEvents.createSubnet(subnet, vpc, zone);
    }

    /** The failure of an execution, for messages. */
    static String describe(Execution execution) {
        return execution.status() + " " + execution.error() + " " + execution.cause() + " "
                + execution.events().stream().filter(e -> e.error() != null).map(e -> e.json().toString()).limit(5).toList();
    }

    /** StateRetried events by state over the executions, nested ones included, e.g. {EnsureEndpoints=2}. */
    static Map<String, Integer> retried(java.util.Collection<Execution> executions) {
        Map<String, Integer> retried = new TreeMap<>();
        executions.stream().flatMap(e -> e.events().stream()).filter(e -> "StateRetried".equals(e.type()))
                .forEach(e -> retried.merge(e.state(), 1, Integer::sum));
        return retried;
    }

    /** StateRetried events of an execution, nested ones included. */
    static long retries(Execution execution) {
        return execution.events().stream().filter(e -> "StateRetried".equals(e.type())).count();
    }
}
