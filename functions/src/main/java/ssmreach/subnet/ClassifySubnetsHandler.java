package ssmreach.subnet;

import java.io.IOException;
import java.util.List;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.RouteTable;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Vpc;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.Target;
import ssmreach.contract.VpcClassification;
import ssmreach.core.AwsErrors;
import ssmreach.core.Clients;
import ssmreach.core.InvalidInputException;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Reads the target's VPC (the VPC, its subnets, its route tables: three filtered calls, four when
 * only a subnet id is known) and classifies it. An instance target's instances are read first (to
 * find their subnets, and whether they have a public IPv4 address); a manual run whose targets
 * include public subnets reads their running instances (one more call). A subnet or VPC that no
 * longer exists ends as gone.
 */
public class ClassifySubnetsHandler extends JsonHandler<Target, VpcClassification> {
    private final Settings settings;
    private final Ec2Client ec2;
    private final VpcClassifier classifier;

    public ClassifySubnetsHandler() {
        this(Settings.fromEnvironment());
    }

    private ClassifySubnetsHandler(Settings settings) {
        this(settings, Clients.ec2(settings));
        primeBeforeSnapshot(settings);
    }

    public ClassifySubnetsHandler(Settings settings, Ec2Client ec2) {
        super(Target.class);
        this.settings = settings;
        this.ec2 = ec2;
        this.classifier = new VpcClassifier(settings);
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new ClassifySubnetsHandler(settings, twins.ec2()), twins);
    }

    @Override
    public VpcClassification handle(Target target) {
        if (target.vpcId() == null && target.subnetIds().isEmpty() && target.instanceIds().isEmpty()) {
            throw new InvalidInputException("The target names no VPC, subnet or instance");
        }
        List<Instance> targetInstances = target.instanceIds().isEmpty() ? List.of()
                : describeInstances(Filter.builder().name("instance-id").values(target.instanceIds()).build());
        // A batch's group names new subnets and instances of one VPC: both are evaluated.
        List<String> subnetIds = java.util.stream.Stream.concat(target.subnetIds().stream(), subnetsOf(targetInstances).stream())
                .distinct().toList();
        String vpcId = target.vpcId() != null ? target.vpcId() : subnetIds.isEmpty() ? null : vpcOf(subnetIds);
        if (vpcId == null) {
            return allGone(null, subnetIds);
        }
        Vpc vpc;
        try {
            vpc = ec2.describeVpcs(r -> r.vpcIds(vpcId)).vpcs().stream().findFirst().orElse(null);
        } catch (SdkException e) {
            if (!AwsErrors.isNotFound(e)) {
                throw e;
            }
            vpc = null;
        }
        if (vpc == null) {
            return allGone(vpcId, target.subnetIds());
        }
        Filter inVpc = Filter.builder().name("vpc-id").values(vpcId).build();
        List<Subnet> subnets = ec2.describeSubnetsPaginator(r -> r.filters(inVpc)).subnets().stream().toList();
        List<RouteTable> tables = ec2.describeRouteTablesPaginator(r -> r.filters(inVpc)).routeTables().stream().toList();
        VpcClassification classification = classifier.classify(vpc, subnets, tables, subnetIds, targetInstances);
        if (!target.instanceIds().isEmpty() || "CreateSubnet".equals(target.source())) {
            // A subnet just created has no instances yet: those launched later come with their own running event.
            return classification;
        }
        List<String> publicSubnets = VpcClassifier.publicTargets(classification);
        if (publicSubnets.isEmpty()) {
            return classification;
        }
        // One more read for a manual run: the running instances of its public subnets, for those without a public address.
        List<Instance> running = describeInstances(Filter.builder().name("subnet-id").values(publicSubnets).build(),
                Filter.builder().name("instance-state-name").values("running").build());
        return classifier.classify(vpc, subnets, tables, subnetIds, running);
    }

    /** The subnets of the target instances; none when they are gone (terminated instances have no subnet). */
    private static List<String> subnetsOf(List<Instance> instances) {
        return instances.stream().map(Instance::subnetId).filter(java.util.Objects::nonNull).distinct().sorted().toList();
    }

    private List<Instance> describeInstances(Filter... filters) {
        return ec2.describeInstancesPaginator(r -> r.filters(filters)).reservations().stream()
                .flatMap(r -> r.instances().stream()).toList();
    }

    /** The VPC of the target subnets (a filter, not ids: a missing subnet is no error). */
    private String vpcOf(List<String> subnetIds) {
        List<Subnet> found = ec2.describeSubnets(r -> r.filters(Filter.builder().name("subnet-id").values(subnetIds).build())).subnets();
        List<String> vpcs = found.stream().map(Subnet::vpcId).distinct().toList();
        if (vpcs.size() > 1) {
            throw new InvalidInputException("The target subnets belong to several VPCs " + vpcs + "; one execution works on one VPC");
        }
        return vpcs.isEmpty() ? null : vpcs.getFirst();
    }

    private static VpcClassification allGone(String vpcId, List<String> subnetIds) {
        List<SubnetClassification> gone = subnetIds.stream().map(SubnetClassification::gone).toList();
        return new VpcClassification(vpcId, List.of(), false, gone, null, null, null);
    }
}
