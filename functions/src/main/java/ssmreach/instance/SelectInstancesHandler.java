package ssmreach.instance;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import ssmreach.contract.InstanceSelection;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.SelectionRequest;
import ssmreach.contract.SubnetClassification;
import ssmreach.contract.SubnetStatus;
import ssmreach.core.Clients;
import ssmreach.core.JsonHandler;
import ssmreach.core.Settings;
import ssmreach.core.Twins;
import ssmreach.subnet.Reachability;

/**
 * Chooses the instances to give a profile: the instance of an instance trigger when its subnet is
 * in scope (or any subnet, by parameter; never an opted-out one), or the running instances of the
 * in-scope target subnets. An instance without a public IPv4 address in a public subnet counts as
 * one of an isolated subnet ({@link Reachability}). One filtered call either way. Only running
 * instances are selected: a pending one will come back with its own state-change event.
 */
public class SelectInstancesHandler extends JsonHandler<SelectionRequest, InstanceSelection> {
    private static final List<String> LIVE_STATES = List.of("pending", "running");
    /**
     * The most instances one execution takes on: Step Functions carries at most 256 KB of state.
     * 100 instances that come online make 72 KB (InstanceRegistrationIT); the headroom is for
     * diagnosis findings of instances that stay offline.
     */
    static final int MAX_INSTANCES = 100;
    /** Why an instance of a subnet out of scope is left alone. */
    public static final String OUT_OF_SCOPE = "its subnet is out of scope";

    private final Settings settings;
    private final Ec2Client ec2;
    private final Clock clock;

    public SelectInstancesHandler() {
        this(Settings.fromEnvironment());
    }

    private SelectInstancesHandler(Settings settings) {
        this(settings, Clients.ec2(settings), Clock.systemUTC());
        primeBeforeSnapshot(settings);
    }

    public SelectInstancesHandler(Settings settings, Ec2Client ec2, Clock clock) {
        super(SelectionRequest.class);
        this.settings = settings;
        this.ec2 = ec2;
        this.clock = clock;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new SelectInstancesHandler(settings, twins.ec2(), clock), twins);
    }

    @Override
    public InstanceSelection handle(SelectionRequest request) {
        List<SubnetClassification> subnets = request.classification() == null ? List.of() : request.classification().subnets();
        List<InstanceTarget> withoutPublicIpv4 = request.classification() == null ? List.of()
                : request.classification().instancesWithoutPublicIpv4();
        Map<String, SubnetClassification> bySubnet = subnets.stream()
                .collect(Collectors.toMap(SubnetClassification::subnetId, Function.identity(), (a, b) -> a));
        List<String> wanted = request.target().instanceIds();
        List<Instance> found;
        int notInScope = 0;
        if (!wanted.isEmpty()) {
            found = describe(Filter.builder().name("instance-id").values(wanted).build());
        } else if (request.target().subnetIds().isEmpty() && request.classification() != null) {
            // A whole VPC (a sweep, or a manual vpcId): one read of its running instances, those out of scope only counted.
            List<Instance> running = describe(Filter.builder().name("vpc-id").values(request.classification().vpcId()).build(),
                    Filter.builder().name("instance-state-name").values(LIVE_STATES).build());
            found = running.stream().filter(i -> takenOn(bySubnet.get(i.subnetId()), i)).toList();
            notInScope = (int) running.stream().filter(i -> "running".equals(i.state().nameAsString())).count()
                    - (int) found.stream().filter(i -> "running".equals(i.state().nameAsString())).count();
        } else {
            // The in-scope subnets, and the public ones where the classification found instances without a public address.
            Set<String> where = new TreeSet<>();
            subnets.stream().filter(SubnetClassification::inScope).map(SubnetClassification::subnetId).forEach(where::add);
            withoutPublicIpv4.forEach(i -> where.add(i.subnetId()));
            found = where.isEmpty() ? List.of() : describe(Filter.builder().name("subnet-id").values(List.copyOf(where)).build(),
                            Filter.builder().name("instance-state-name").values(LIVE_STATES).build()).stream()
                    .filter(i -> takenOn(bySubnet.get(i.subnetId()), i)).toList();
        }
        List<Instance> eligible = new ArrayList<>();
        List<InstanceSelection.Skipped> skipped = new ArrayList<>();
        Set<String> seen = found.stream().map(Instance::instanceId).collect(Collectors.toSet());
        wanted.stream().filter(id -> !seen.contains(id))
                .forEach(id -> skipped.add(new InstanceSelection.Skipped(id, "gone: no such instance")));
        for (Instance instance : found) {
            String reason = reasonToSkip(instance, bySubnet.get(instance.subnetId()));
            if (reason == null) {
                eligible.add(instance);
            } else {
                skipped.add(new InstanceSelection.Skipped(instance.instanceId(), reason));
            }
        }
        // Over the limit, those without a profile come first (then by id): a rerun takes on the next ones.
        List<Instance> taken = eligible.size() <= MAX_INSTANCES ? eligible : eligible.stream()
                .sorted(Comparator.comparing((Instance i) -> i.iamInstanceProfile() != null).thenComparing(Instance::instanceId))
                .limit(MAX_INSTANCES).toList();
        List<InstanceTarget> selected = taken.stream()
                .map(i -> new InstanceTarget(i.instanceId(), i.subnetId(), i.state().nameAsString())).toList();
        return new InstanceSelection(selected, skipped, !selected.isEmpty(), clock.instant().toString(),
                eligible.size() - selected.size(), notInScope);
    }

    private String reasonToSkip(Instance instance, SubnetClassification subnet) {
        String state = instance.state() == null ? "" : instance.state().nameAsString();
        if (!"running".equals(state)) {
            return "pending".equals(state) ? "pending: it gets its profile when it reports running" : "state " + state;
        }
        if (subnet == null || subnet.status() == SubnetStatus.GONE) {
            return "its subnet was not evaluated";
        }
        if (subnet.status() == SubnetStatus.OPTED_OUT) {
            return "its subnet is opted out";
        }
        if (!takenOn(subnet, instance) && !settings.instancesInAnySubnet()) {
            return OUT_OF_SCOPE + " (" + subnet.reason() + ")";
        }
        return null;
    }

    /**
     * An instance of an in-scope subnet, or one without a public IPv4 address in a public subnet:
     * the internet gateway route carries nothing for it, so it counts as an instance of an isolated subnet.
     */
    private static boolean takenOn(SubnetClassification subnet, Instance instance) {
        return subnet != null && (subnet.inScope()
                || (subnet.status() == SubnetStatus.OUT_OF_SCOPE && Reachability.withoutPublicIpv4InPublicSubnet(subnet.route(), instance)));
    }

    private List<Instance> describe(Filter... filters) {
        return ec2.describeInstancesPaginator(r -> r.filters(filters)).reservations().stream()
                .flatMap(r -> r.instances().stream()).toList();
    }
}
