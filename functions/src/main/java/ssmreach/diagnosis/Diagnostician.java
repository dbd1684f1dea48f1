package ssmreach.diagnosis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.NetworkAclEntry;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.SecurityGroupIdentifier;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.contract.Diagnosis.InstanceDiagnosis;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;
import ssmreach.endpoint.Cidr;
import ssmreach.endpoint.SecurityGroupRules;
import ssmreach.instance.AgentPermissions;
import ssmreach.subnet.Reachability;

/**
 * The checks of AWSSupport-TroubleshootManagedInstance, made on facts read beforehand: each check
 * either passes (named in {@code passed}) or yields a finding with how to fix it.
 */
public final class Diagnostician {
    private static final List<String> AGENT_SERVICES = List.of("ssm", "ssmmessages", "ec2messages");
    private static final String ANYWHERE = "0.0.0.0/0";
    /** Ports of the ephemeral ranges of Linux and Windows, their bounds included. */
    private static final List<Integer> EPHEMERAL_PORTS = List.of(32768, 49152, 60999, 65535);

    private Diagnostician() {}

    public static InstanceDiagnosis diagnose(String instanceId, InstanceFacts facts) {
        Checks checks = new Checks();
        if (facts.instance() == null) {
            checks.fail("INSTANCE_GONE", Severity.ERROR, instanceId, "The instance does not exist (terminated?)", "Nothing to do");
            return new InstanceDiagnosis(instanceId, facts.pingStatus(), checks.passed, checks.findings);
        }
        String state = facts.instance().state().nameAsString();
        checks.check("instance-running", "running".equals(state), "INSTANCE_NOT_RUNNING", Severity.ERROR, instanceId,
                "The instance is " + state + "; only running instances register", "Start the instance");
        boolean metadata = facts.instance().metadataOptions() == null
                || !"disabled".equalsIgnoreCase(facts.instance().metadataOptions().httpEndpointAsString());
        checks.check("metadata-service", metadata, "METADATA_SERVICE_DISABLED", Severity.ERROR, instanceId,
                "The instance metadata service is disabled: the agent cannot get credentials",
                "aws ec2 modify-instance-metadata-options --instance-id " + instanceId + " --http-endpoint enabled");
        profile(instanceId, facts, checks);
        network(instanceId, facts, checks);
        checks.check("ssm-ping", "Online".equals(facts.pingStatus()), "NOT_ONLINE", Severity.WARNING, instanceId,
                "SSM reports " + (facts.pingStatus() == null ? "no registration" : "PingStatus " + facts.pingStatus()),
                "Fix the findings above; an agent that failed to get credentials retries after about 30 minutes, "
                        + "or at once when the agent or instance restarts");
        return new InstanceDiagnosis(instanceId, facts.pingStatus(), checks.passed, checks.findings);
    }

    private static void profile(String id, InstanceFacts facts, Checks checks) {
        if (!checks.check("instance-profile", facts.hasProfile(), "NO_INSTANCE_PROFILE", Severity.ERROR, id,
                "The instance has no instance profile", "Run ssm-reach for the instance, or associate a profile with "
                        + AgentPermissions.MANAGED_POLICY)) {
            return;
        }
        if (!checks.check("profile-exists", facts.profileExists(), "PROFILE_NOT_FOUND", Severity.ERROR, id,
                "The instance's profile no longer exists in IAM: the agent gets no credentials",
                "Associate an existing profile with " + AgentPermissions.MANAGED_POLICY
                        + " (aws ec2 replace-iam-instance-profile-association), or recreate the profile")) {
            return;
        }
        if (!checks.check("profile-role", facts.profileHasRole(), "PROFILE_WITHOUT_ROLE", Severity.ERROR, id,
                "The instance profile has no role", "Add a role with " + AgentPermissions.MANAGED_POLICY + " to the profile")) {
            return;
        }
        List<String> denied = facts.deniedActions() == null ? List.of() : facts.deniedActions();
        checks.check("role-permissions", denied.isEmpty(), "ROLE_LACKS_SSM_PERMISSIONS", Severity.ERROR, id,
                "The role does not allow " + denied, "Attach " + AgentPermissions.MANAGED_POLICY + " to the role");
    }

    private static void network(String id, InstanceFacts facts, Checks checks) {
        if (facts.subnet() == null || facts.routeTable() == null) {
            checks.fail("SUBNET_UNKNOWN", Severity.ERROR, id, "The instance's subnet or route table could not be read", "Check the subnet");
            return;
        }
        if (Reachability.ipv6Only(facts.subnet())) {
            checks.findings.add(Reachability.ipv6OnlySubnet(facts.subnet().subnetId()));
            return; // the IPv4 checks below have nothing to judge
        }
        String subnetCidr = facts.subnet().cidrBlock();
        Reachability.Verdict route = Reachability.of(facts.subnet(), facts.routeTable());
        checks.passed.add("route: " + route.reason());
        String destination;
        Set<String> endpointGroups = Set.of();
        if (Reachability.reachesSsm(route.route(), facts.instance())) {
            destination = ANYWHERE;
        } else {
            destination = facts.vpcCidrs().isEmpty() ? ANYWHERE : facts.vpcCidrs().getFirst();
            int errorsBefore = checks.errors();
            for (String service : AGENT_SERVICES) {
                endpoint(id, service, facts, subnetCidr, checks);
            }
            endpointGroups = AGENT_SERVICES.stream().flatMap(service -> privateDnsEndpoints(facts, service).stream())
                    .flatMap(e -> e.groups().stream().map(SecurityGroupIdentifier::groupId)).collect(Collectors.toSet());
            checks.check("vpc-dns-support", facts.dnsSupport(), "VPC_DNS_ATTRIBUTE_OFF", Severity.ERROR, facts.subnet().vpcId(),
                    "enableDnsSupport is off: private DNS names of the endpoints do not resolve",
                    "aws ec2 modify-vpc-attribute --vpc-id " + facts.subnet().vpcId() + " --enable-dns-support '{\"Value\":true}'");
            checks.check("vpc-dns-hostnames", facts.dnsHostnames(), "VPC_DNS_ATTRIBUTE_OFF", Severity.ERROR, facts.subnet().vpcId(),
                    "enableDnsHostnames is off: private DNS names of the endpoints do not resolve",
                    "aws ec2 modify-vpc-attribute --vpc-id " + facts.subnet().vpcId() + " --enable-dns-hostnames '{\"Value\":true}'");
            if (Reachability.withoutPublicIpv4InPublicSubnet(route.route(), facts.instance())) {
                // Endpoints that serve it make up for the missing address; otherwise the address is what is missing.
                checks.check("endpoints-instead-of-public-ipv4", checks.errors() == errorsBefore, "NO_PUBLIC_IPV4", Severity.ERROR, id,
                        "The instance has no public IPv4 address, so the internet gateway route of subnet " + facts.subnet().subnetId()
                                + " carries nothing for it, and the VPC's endpoints do not serve it (see the findings above)",
                        "Run ssm-reach for the instance ({\"instanceId\": \"" + id + "\"}): it ensures the endpoints; "
                                + "or give the instance a public IPv4 address (an Elastic IP)");
            }
        }
        List<SecurityGroup> instanceGroups = facts.instance().securityGroups().stream()
                .map(g -> facts.groups().get(g.groupId())).filter(g -> g != null).toList();
        // EC2 lists at least one group for every instance; none listed (an emulator) means nothing to judge.
        Set<String> reachableGroups = endpointGroups;
        checks.check("instance-sg-egress", instanceGroups.isEmpty()
                        || instanceGroups.stream().anyMatch(g -> allowsHttpsOut(g, destination, reachableGroups)),
                "INSTANCE_SG_BLOCKS_HTTPS_OUT", Severity.ERROR, id,
                "No security group of the instance lets TCP 443 out to " + destination,
                "Add an outbound rule TCP 443 to " + destination + " on one of the instance's security groups");
        if (facts.networkAcl() != null) {
            checks.check("nacl-https-out", naclAllows(facts.networkAcl().entries(), true, destination, 443),
                    "NACL_BLOCKS_HTTPS_OUT", Severity.ERROR, facts.networkAcl().networkAclId(),
                    "The subnet's network ACL does not allow TCP 443 out to " + destination,
                    "Add an outbound rule TCP 443 to " + destination + " before any deny");
            // The answers come back to the instance's ephemeral port: Linux uses 32768-60999, Windows 49152-65535.
            boolean ephemeral = EPHEMERAL_PORTS.stream()
                    .allMatch(port -> naclAllows(facts.networkAcl().entries(), false, destination, port));
            checks.check("nacl-ephemeral-in", ephemeral, "NACL_BLOCKS_EPHEMERAL_IN", Severity.ERROR,
                    facts.networkAcl().networkAclId(),
                    "The subnet's network ACL does not allow the return traffic (TCP 32768-65535 in) from " + destination,
                    "Add an inbound rule TCP 32768-65535 (or 1024-65535) from " + destination + " before any deny");
        }
        checks.check("dhcp-dns", facts.dnsServers().isEmpty(), "CUSTOM_DNS_SERVERS", Severity.WARNING, facts.subnet().vpcId(),
                "The VPC's DHCP options use custom DNS servers " + facts.dnsServers()
                        + ": they must forward amazonaws.com to the VPC resolver for private DNS to work",
                "Forward amazonaws.com queries to the Amazon-provided resolver (VPC CIDR base + 2)");
    }

    private static List<VpcEndpoint> interfaceEndpoints(InstanceFacts facts, String service) {
        String name = "com.amazonaws." + facts.region() + "." + service;
        return facts.endpoints().stream().filter(e -> name.equals(e.serviceName()))
                .filter(e -> "Interface".equalsIgnoreCase(e.vpcEndpointTypeAsString())).toList();
    }

    private static List<VpcEndpoint> privateDnsEndpoints(InstanceFacts facts, String service) {
        return interfaceEndpoints(facts, service).stream().filter(e -> Boolean.TRUE.equals(e.privateDnsEnabled())).toList();
    }

    private static void endpoint(String id, String service, InstanceFacts facts, String subnetCidr, Checks checks) {
        List<VpcEndpoint> candidates = interfaceEndpoints(facts, service);
        Optional<VpcEndpoint> withDns = privateDnsEndpoints(facts, service).stream()
                .min(Comparator.comparing(e -> "available".equalsIgnoreCase(e.stateAsString()) ? 0 : 1));
        // Agents since 3.3.40.0 talk to ssmmessages, and Regions opened since 2024 have no ec2messages:
        // without it only older agents fail.
        boolean onlyOlderAgents = service.equals("ec2messages") && !privateDnsEndpoints(facts, "ssmmessages").isEmpty();
        if (!checks.check("endpoint-" + service, withDns.isPresent(), candidates.isEmpty() ? "ENDPOINT_MISSING" : "ENDPOINT_WITHOUT_PRIVATE_DNS",
                onlyOlderAgents ? Severity.WARNING : Severity.ERROR, facts.subnet().vpcId(),
                (candidates.isEmpty() ? "No " + service + " endpoint in the VPC, and no route to the internet"
                        : "The " + service + " endpoint has private DNS off: the agent does not use it")
                        + (onlyOlderAgents ? "; only SSM Agent versions before 3.3.40.0 need it (newer ones use ssmmessages)" : ""),
                "Run ssm-reach for subnet " + facts.subnet().subnetId()
                        + (onlyOlderAgents ? " with ec2messages in Services, or update the agent" : ""))) {
            return;
        }
        VpcEndpoint endpoint = withDns.get();
        checks.check("endpoint-" + service + "-available", "available".equalsIgnoreCase(endpoint.stateAsString()),
                "ENDPOINT_NOT_AVAILABLE", Severity.ERROR, endpoint.vpcEndpointId(),
                "The " + service + " endpoint is " + endpoint.stateAsString(), "Wait for it, or delete and recreate it if failed");
        List<SecurityGroup> groups = endpoint.groups().stream().map(SecurityGroupIdentifier::groupId)
                .map(g -> facts.groups().get(g)).filter(g -> g != null).toList();
        checks.check("endpoint-" + service + "-sg", SecurityGroupRules.admitsHttpsFrom(groups, subnetCidr),
                "ENDPOINT_SG_BLOCKS_HTTPS", Severity.ERROR, endpoint.vpcEndpointId(),
                "No security group of the " + service + " endpoint admits TCP 443 from the instance's subnet " + subnetCidr,
                "Add an inbound rule TCP 443 from " + subnetCidr + " (ssm-reach adds its managed group when it runs)");
        boolean zoneCovered = endpoint.subnetIds().stream()
                .anyMatch(s -> facts.subnet().availabilityZone().equals(facts.subnetZones().get(s)));
        checks.check("endpoint-" + service + "-zone", zoneCovered, "ENDPOINT_ZONE_NOT_COVERED", Severity.INFO,
                endpoint.vpcEndpointId(), "The " + service + " endpoint has no interface in " + facts.subnet().availabilityZone()
                        + ": traffic crosses zones (it works, at a small cost)",
                "Run ssm-reach for subnet " + facts.subnet().subnetId());
    }

    /**
     * A rule lets HTTPS out to {@code destination} by a CIDR that contains it, or by a reference to
     * a group of the endpoints (traffic to the endpoints' interfaces). Prefix lists are given the
     * benefit of the doubt: their entries are not read.
     */
    private static boolean allowsHttpsOut(SecurityGroup group, String destination, Set<String> endpointGroups) {
        return group.ipPermissionsEgress().stream().filter(Diagnostician::coversHttps)
                .anyMatch(p -> !p.prefixListIds().isEmpty()
                        || p.userIdGroupPairs().stream().anyMatch(pair -> endpointGroups.contains(pair.groupId()))
                        || p.ipRanges().stream().anyMatch(r -> Cidr.contains(r.cidrIp(), destination)));
    }

    private static boolean coversHttps(IpPermission p) {
        return "-1".equals(p.ipProtocol()) || (("tcp".equals(p.ipProtocol()) || "6".equals(p.ipProtocol()))
                && p.fromPort() != null && p.toPort() != null && p.fromPort() <= 443 && p.toPort() >= 443);
    }

    /** Network ACL rules apply in number order; the first that matches decides; none matching denies. */
    static boolean naclAllows(List<NetworkAclEntry> entries, boolean egress, String cidr, int port) {
        return entries.stream().filter(e -> Boolean.valueOf(egress).equals(e.egress()))
                .filter(e -> e.cidrBlock() != null && Cidr.contains(e.cidrBlock(), cidr))
                .filter(e -> "-1".equals(e.protocol()) || ("6".equals(e.protocol())
                        && (e.portRange() == null || (e.portRange().from() <= port && e.portRange().to() >= port))))
                .min(Comparator.comparing(NetworkAclEntry::ruleNumber))
                .map(e -> "allow".equalsIgnoreCase(e.ruleActionAsString())).orElse(false);
    }

    /** Collects passed checks and findings. */
    private static final class Checks {
        final List<String> passed = new ArrayList<>();
        final List<Finding> findings = new ArrayList<>();

        boolean check(String name, boolean ok, String code, Severity severity, String resource, String message, String fix) {
            if (ok) {
                passed.add(name);
            } else {
                fail(code, severity, resource, message, fix);
            }
            return ok;
        }

        void fail(String code, Severity severity, String resource, String message, String fix) {
            findings.add(new Finding(code, severity, resource, message, fix));
        }

        int errors() {
            return (int) findings.stream().filter(f -> f.severity() == Severity.ERROR).count();
        }
    }
}
