package ssmreach.vpc;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.Ipv6Range;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VpcAttributeName;
import ssmreach.contract.Action;
import ssmreach.contract.Finding;
import ssmreach.contract.Severity;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.VpcReadiness;
import ssmreach.contract.VpcRequest;
import ssmreach.core.AwsErrors;
import ssmreach.core.Clients;
import ssmreach.core.DryRunProbe;
import ssmreach.core.EarlierRun;
import ssmreach.core.InvalidInputException;
import ssmreach.core.JsonHandler;
import ssmreach.core.ResourceGoneException;
import ssmreach.core.RetryableAwsException;
import ssmreach.core.Settings;
import ssmreach.core.Twins;
import ssmreach.endpoint.Cidr;

/**
 * Makes a VPC ready for private-DNS endpoints: both DNS attributes on (or reported, by parameter),
 * and the managed security group admitting TCP 443 from each of the VPC's CIDR blocks. Rules are
 * only ever added, and only to the group this stack tags as its own. What an earlier run had made
 * and is gone (an attribute turned off, the group or a rule deleted) is made again and reported as
 * a repair ({@link Action#found()}).
 */
public class PrepareVpcHandler extends JsonHandler<VpcRequest, VpcReadiness> {
    public static final String GROUP_NAME = "ssm-reach-endpoints";
    public static final String MANAGED_TAG = Settings.TAG_PREFIX + "managed";

    private final Settings settings;
    private final Ec2Client ec2;

    public PrepareVpcHandler() {
        this(Settings.fromEnvironment());
    }

    private PrepareVpcHandler(Settings settings) {
        this(settings, Clients.ec2(settings));
        primeBeforeSnapshot(settings);
    }

    public PrepareVpcHandler(Settings settings, Ec2Client ec2) {
        super(VpcRequest.class);
        this.settings = settings;
        this.ec2 = ec2;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new PrepareVpcHandler(settings, twins.ec2()), twins);
    }

    @Override
    public VpcReadiness handle(VpcRequest request) {
        if (request.vpcId() == null || request.cidrBlocks().isEmpty()) {
            throw new InvalidInputException("PrepareVpc needs a vpcId and its CIDR blocks");
        }
        List<Action> actions = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        try {
            boolean dnsReady = ensureDnsAttribute(request, VpcAttributeName.ENABLE_DNS_SUPPORT, actions, findings)
                    & ensureDnsAttribute(request, VpcAttributeName.ENABLE_DNS_HOSTNAMES, actions, findings);
            String groupId = ensureSecurityGroup(request, actions, findings);
            return new VpcReadiness(groupId, dnsReady, actions, findings);
        } catch (SdkException e) {
            if (AwsErrors.isNotFound(e)) {
                throw new ResourceGoneException("VPC " + request.vpcId() + " no longer exists: " + e.getMessage());
            }
            throw e;
        }
    }

    /** True when the attribute is on, or is being (or in a dry run would be) turned on. */
    private boolean ensureDnsAttribute(VpcRequest request, VpcAttributeName attribute, List<Action> actions, List<Finding> findings) {
        var answer = ec2.describeVpcAttribute(r -> r.vpcId(request.vpcId()).attribute(attribute));
        var value = attribute == VpcAttributeName.ENABLE_DNS_SUPPORT ? answer.enableDnsSupport() : answer.enableDnsHostnames();
        if (value != null && Boolean.TRUE.equals(value.value())) {
            return true;
        }
        String name = attribute.toString();
        if (!settings.fixDnsAttributes()) {
            findings.add(new Finding("VPC_DNS_ATTRIBUTE_OFF", Severity.ERROR, request.vpcId(),
                    name + " is off: interface endpoints cannot have private DNS, so the agent cannot reach them",
                    "aws ec2 modify-vpc-attribute --vpc-id " + request.vpcId() + " --" + kebab(name)
                            + " '{\"Value\":true}' (or deploy with DnsAttributes=fix)"));
            return false;
        }
        // A reachable subnet means it was on at that run: it has been turned off since.
        String found = EarlierRun.first(request.subnets(), EarlierRun::reachable)
                .map(subnet -> name + " is off; it was on when " + subnet + " was found reachable " + EarlierRun.LAST_RUN)
                .orElse(null);
        // ModifyVpcAttribute offers no DryRun: a dry run only plans it.
        if (!request.dryRun()) {
            ec2.modifyVpcAttribute(r -> {
                r.vpcId(request.vpcId());
                if (attribute == VpcAttributeName.ENABLE_DNS_SUPPORT) {
                    r.enableDnsSupport(v -> v.value(true));
                } else {
                    r.enableDnsHostnames(v -> v.value(true));
                }
            });
        }
        actions.add(Action.of("ModifyVpcAttribute", request.vpcId(), name + " on (needed for private DNS)", request.dryRun())
                .repairing(found));
        return true;
    }

    private String ensureSecurityGroup(VpcRequest request, List<Action> actions, List<Finding> findings) {
        Optional<SecurityGroup> group = findGroup(request.vpcId());
        boolean existed = group.isPresent();
        if (!existed) {
            // Every run that left a subnet reachable had made the group: it was deleted since.
            String found = EarlierRun.first(request.subnets(), EarlierRun::reachable).map(subnet -> "managed group " + GROUP_NAME
                    + " no longer exists; it did when " + subnet + " was found reachable " + EarlierRun.LAST_RUN).orElse(null);
            if (request.dryRun()) {
                String permission = DryRunProbe.probe("CreateSecurityGroup", request.vpcId(), () -> createGroup(request.vpcId(), true),
                        findings);
                actions.add(Action.of("CreateSecurityGroup", request.vpcId(), GROUP_NAME, true).withPermission(permission)
                        .repairing(found));
                request.cidrBlocks().forEach(cidr -> actions.add(Action.of("AuthorizeSecurityGroupIngress", GROUP_NAME,
                        "TCP 443 from " + cidr, true)));
                return null;
            }
            group = Optional.of(createOrAdopt(request.vpcId(), actions, found));
        }
        SecurityGroup sg = group.get();
        Set<String> admitted = sg.ipPermissions().stream().filter(PrepareVpcHandler::isHttpsOnly)
                .flatMap(p -> java.util.stream.Stream.concat(p.ipRanges().stream().map(IpRange::cidrIp),
                        p.ipv6Ranges().stream().map(Ipv6Range::cidrIpv6)))
                .collect(Collectors.toSet());
        for (String cidr : request.cidrBlocks()) {
            if (admitted.contains(cidr)) {
                continue;
            }
            String permission = null;
            if (request.dryRun()) {
                permission = DryRunProbe.probe("AuthorizeSecurityGroupIngress", sg.groupId(), () -> authorize(sg.groupId(), cidr, true),
                        findings);
            } else {
                try {
                    authorize(sg.groupId(), cidr, false);
                } catch (SdkException e) {
                    if (!AwsErrors.hasCode(e, "InvalidPermission.Duplicate")) {
                        throw e;
                    }
                    continue; // another execution added it first
                }
            }
            Action action = Action.of("AuthorizeSecurityGroupIngress", sg.groupId(), "TCP 443 from " + cidr, request.dryRun())
                    .repairing(existed ? revoked(sg.groupId(), cidr, request.subnets()) : null);
            actions.add(permission == null ? action : action.withPermission(permission));
        }
        return sg.groupId();
    }

    /**
     * What a missing rule of a group that existed says: when a subnet of {@code cidr} was reachable at
     * the last run, the block was the VPC's then and the run had admitted it, so the rule was revoked
     * since. Null otherwise: a block associated since then gets its first rule.
     */
    private static String revoked(String groupId, String cidr, List<SubnetClassification> subnets) {
        return EarlierRun.first(subnets, s -> EarlierRun.reachable(s) && Cidr.contains(cidr, s.cidrBlock()))
                .map(subnet -> "managed group " + groupId + " no longer admits TCP 443 from " + cidr + ", where " + subnet
                        + " was reachable " + EarlierRun.LAST_RUN).orElse(null);
    }

    private Optional<SecurityGroup> findGroup(String vpcId) {
        return ec2.describeSecurityGroups(r -> r.filters(
                        Filter.builder().name("vpc-id").values(vpcId).build(),
                        Filter.builder().name("group-name").values(GROUP_NAME).build(),
                        Filter.builder().name("tag:" + MANAGED_TAG).values("true").build()))
                .securityGroups().stream().findFirst();
    }

    private SecurityGroup createOrAdopt(String vpcId, List<Action> actions, String found) {
        try {
            String id = createGroup(vpcId, false);
            actions.add(Action.of("CreateSecurityGroup", id, GROUP_NAME, false).repairing(found));
        } catch (SdkException e) {
            if (!AwsErrors.hasCode(e, "InvalidGroup.Duplicate")) {
                throw e;
            }
        }
        // Read it back (also after a concurrent creation): its rules decide what is still missing.
        return findGroup(vpcId).orElseThrow(() -> new RetryableAwsException("Security group " + GROUP_NAME + " in " + vpcId
                + " exists but is not visible yet, or is not tagged " + MANAGED_TAG + "=true (then rename it)"));
    }

    private String createGroup(String vpcId, boolean dryRun) {
        return ec2.createSecurityGroup(r -> r.vpcId(vpcId).groupName(GROUP_NAME).dryRun(dryRun)
                .description("HTTPS from the VPC to its SSM interface endpoints (managed by ssm-reach)")
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.SECURITY_GROUP).tags(
                        Tag.builder().key("Name").value(GROUP_NAME).build(),
                        Tag.builder().key(MANAGED_TAG).value("true").build()).build())).groupId();
    }

    private void authorize(String groupId, String cidr, boolean dryRun) {
        IpPermission.Builder permission = IpPermission.builder().ipProtocol("tcp").fromPort(443).toPort(443);
        String description = "HTTPS to SSM endpoints from the VPC";
        if (cidr.contains(":")) {
            permission.ipv6Ranges(Ipv6Range.builder().cidrIpv6(cidr).description(description).build());
        } else {
            permission.ipRanges(IpRange.builder().cidrIp(cidr).description(description).build());
        }
        ec2.authorizeSecurityGroupIngress(r -> r.groupId(groupId).ipPermissions(permission.build()).dryRun(dryRun));
    }

    private static boolean isHttpsOnly(IpPermission p) {
        return "tcp".equals(p.ipProtocol()) && Integer.valueOf(443).equals(p.fromPort()) && Integer.valueOf(443).equals(p.toPort());
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase();
    }
}
