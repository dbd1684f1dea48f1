package ssmreach.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.VpcEndpoint;
import ssmreach.local.CallLog;
import ssmreach.local.Execution;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalFunctions;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.World;
import ssmreach.testing.LocalAwsExtension;

/**
 * The sweep: every VPC of the Region through the per-VPC remediation, as many side by side as the
 * stack's concurrency, a page at a time, with the Region report as the output. The Region has its
 * default VPC too, public as in AWS: swept, and skipped for having nothing in scope.
 */
@ExtendWith(LocalAwsExtension.class)
class SweepIT {
    private static final String OPT_OUT = "ssm-reach:skip";
    private static final Set<String> SERVICES = Set.of("ssm", "ssmmessages", "ec2messages", "s3");
    private static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c");
    /** The default VPC's subnets: one per zone of us-east-1. */
    private static final int DEFAULT_SUBNETS = 6;

    private final LocalAws aws;
    private final Ec2Client ec2;
    private final World world;
    private LocalWorkflow workflow;

    SweepIT(LocalAws aws) {
        this.aws = aws;
        this.ec2 = aws.inspectEc2();
        this.world = new World(ec2);
    }

    @AfterEach
    void tearDown() {
        if (workflow != null) {
            workflow.close();
        }
    }

    private void stack(Map<String, String> parameters) {
        LocalFunctions.createInstanceProfile(aws.inspectIam());
        workflow = new LocalWorkflow(aws, LocalFunctions.settings(parameters)).executionsMayTake(java.time.Duration.ofMinutes(15));
    }

    /**
     * VPCs of ten subnets of every kind: five isolated over three zones (one opted out), two public,
     * three behind a NAT gateway; an instance without a profile in one VPC of ten; and a VPC opted out.
     */
    private record Account(List<String> vpcs, Map<String, List<String>> isolated, List<String> optedOutVpcs, List<String> instances) {}

    private Account account(int vpcCount) {
        List<String> vpcs = new ArrayList<>();
        Map<String, List<String>> isolated = new TreeMap<>();
        List<String> instances = new ArrayList<>();
        for (int v = 0; v < vpcCount; v++) {
            String vpc = world.vpc("10." + v + ".0.0/16");
            vpcs.add(vpc);
            List<String> reachable = new ArrayList<>();
            for (int s = 0; s < 5; s++) {
                String subnet = world.subnet(vpc, "10." + v + "." + s + ".0/24", ZONES.get(s % ZONES.size()));
                if (s == 4) {
                    world.tag(subnet, OPT_OUT, "true");
                } else {
                    reachable.add(subnet);
                }
            }
            isolated.put(vpc, reachable);
            String publicSubnet = world.subnet(vpc, "10." + v + ".10.0/24", "us-east-1a");
            String publicTable = world.ownRouteTable(vpc, publicSubnet);
            world.internetRoute(vpc, publicTable);
            String secondPublic = world.subnet(vpc, "10." + v + ".11.0/24", "us-east-1b");
            ec2.associateRouteTable(r -> r.routeTableId(publicTable).subnetId(secondPublic));
            String natTable = null;
            for (int s = 0; s < 3; s++) {
                String subnet = world.subnet(vpc, "10." + v + "." + (20 + s) + ".0/24", ZONES.get(s));
                if (natTable == null) {
                    natTable = world.ownRouteTable(vpc, subnet);
                    world.natRoute(publicSubnet, natTable);
                } else {
                    String table = natTable;
                    ec2.associateRouteTable(r -> r.routeTableId(table).subnetId(subnet));
                }
            }
            if (v % 10 == 0) {
                instances.add(world.instance(reachable.getFirst(), null));
            }
        }
        String optedOut = world.vpc("10.200.0.0/16");
        world.subnet(optedOut, "10.200.1.0/24", "us-east-1a");
        world.tag(optedOut, OPT_OUT, "true");
        return new Account(vpcs, isolated, List.of(optedOut), instances);
    }

    @Test
    void oneSweepAdoptsAnAccountOfThirtyVpcsAndThreeHundredSubnets() {
        // The stack's default concurrency, 2: more gains little, for CreateVpcEndpoint's bucket (0.3 a second) sets the pace.
        stack(Map.of());
        Account account = account(30);
        aws.calls().clear();

        Execution sweep = workflow.execute("{\"sweep\": true}");

        assertTrue(sweep.succeeded(), sweep::toString);
        JsonNode region = sweep.output().path("region");
        assertEquals(31, region.path("total").path("vpcs").asInt(), region::toString);
        assertEquals(1, region.path("total").path("skipped").asInt(), "the opted-out VPC");
        assertEquals(Map.of("remediated", 30, "skipped", 1), counts(region.path("total").path("outcomes")), "the default VPC is public");
        JsonNode tally = region.path("total").path("tally");
        assertEquals(Map.of("isolated/in-scope", 120, "isolated/opted-out", 30, "public/out-of-scope", 60 + DEFAULT_SUBNETS,
                        "egress/out-of-scope", 90),
                counts(tally.path("subnets")), "300 subnets by route and status, and the default VPC's");
        assertEquals(Map.of("Online", account.instances().size()), counts(tally.path("instances")));
        // Three interface endpoints in each VPC, each serving the VPC's three zones.
        assertEquals(30 * 3 * 3, tally.path("endpointZones").asInt());
        assertEquals(new BigDecimal("0.01").multiply(BigDecimal.valueOf(730L * 30 * 3 * 3)).compareTo(
                tally.path("endpointMonthlyCostUsd").decimalValue()), 0);
        for (String vpc : account.vpcs()) {
            Map<String, List<VpcEndpoint>> endpoints = endpoints(vpc);
            assertEquals(SERVICES, endpoints.keySet(), vpc);
            endpoints.forEach((service, list) -> assertEquals(1, list.size(), vpc + ": one " + service + " endpoint, no duplicate"));
            Set<String> zones = account.isolated().get(vpc).stream().map(this::zoneOf).collect(Collectors.toCollection(TreeSet::new));
            for (String service : List.of("ssm", "ssmmessages", "ec2messages")) {
                Set<String> served = endpoints.get(service).getFirst().subnetIds().stream().map(this::zoneOf)
                        .collect(Collectors.toCollection(TreeSet::new));
                assertEquals(zones, served, vpc + ": " + service + " serves every zone of an isolated subnet");
            }
        }
        account.optedOutVpcs().forEach(vpc -> assertEquals(Map.of(), endpoints(vpc), "an opted-out VPC is left alone"));
        for (String instance : account.instances()) {
            assertEquals(1, ec2.describeIamInstanceProfileAssociations(r -> r.filters(f -> f.name("instance-id").values(instance)))
                    .iamInstanceProfileAssociations().size(), instance);
        }
        Map<String, Long> ec2Calls = aws.calls().calls().stream().filter(c -> "Ec2".equals(c.service()))
                .collect(Collectors.groupingBy(CallLog.Call::operation, TreeMap::new, Collectors.counting()));
        long total = ec2Calls.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("sweep of 30 VPCs, 300 subnets in %s: %d EC2 calls (%.1f per VPC): %s%n", sweep.duration(), total, total / 30.0,
                ec2Calls);
        assertEquals(0L, (ec2Calls.get("DescribeVpcs") - 1) % 31, "one DescribeVpcs lists the Region, each VPC's execution makes as many");
    }

    @Test
    void aRegionLargerThanAPageIsSweptPageByPageAndTotalled() {
        stack(Map.of("SWEEP_PAGE_VPCS", "2"));
        List<String> vpcs = new ArrayList<>();
        for (int v = 0; v < 5; v++) {
            String vpc = world.vpc("10." + v + ".0.0/16");
            world.subnet(vpc, "10." + v + ".1.0/24", ZONES.get(v % ZONES.size()));
            vpcs.add(vpc);
        }

        Execution first = workflow.execute("{\"sweep\": true}");

        assertTrue(first.succeeded(), first::toString);
        assertEquals(List.of("Start", "Resuming", "ParseTrigger", "HasWork", "GroupTargets", "SweepOrBatch", "EachVpc",
                "SweepOrBatchDone", "ReportSweep", "MoreVpcs", "SweepOn", "SweepDone"), first.path());
        List<Execution> pages = new ArrayList<>(List.of(first));
        for (Execution page = first; page.output().path("region").has("continuesAfter"); ) {
            String after = page.output().path("region").path("continuesAfter").asText();
            page = first.children().entrySet().stream().filter(c -> c.getKey().startsWith("sweep-after-" + after + "-")).findFirst()
                    .orElseThrow(() -> new AssertionError("no page after " + after)).getValue();
            assertTrue(page.succeeded(), page::toString);
            pages.add(page);
        }
        assertEquals(3, pages.size(), "five VPCs and the default one, two a page");
        List<String> swept = pages.stream().flatMap(p -> StreamSupport.stream(p.output().path("region").path("vpcs").spliterator(), false))
                .map(v -> v.path("vpcId").asText()).toList();
        List<String> all = new ArrayList<>(vpcs);
        all.add(defaultVpc());
        assertEquals(all.stream().sorted().toList(), swept, "each VPC once, in id order");
        JsonNode last = pages.getLast().output().path("region").path("total");
        assertEquals(6, last.path("vpcs").asInt(), "the last page totals the whole Region");
        assertEquals(Map.of("remediated", 5, "skipped", 1), counts(last.path("outcomes")));
        assertEquals(Map.of("isolated/in-scope", 5, "public/out-of-scope", DEFAULT_SUBNETS), counts(last.path("tally").path("subnets")));
        vpcs.forEach(vpc -> assertEquals(SERVICES, endpoints(vpc).keySet(), vpc));
    }

    @Test
    void aDryRunSweepChangesNothingAndListsEveryPlannedChangeAndItsCost() {
        stack(Map.of());
        String vpc = world.vpc("10.0.0.0/16");
        world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        world.subnet(vpc, "10.0.2.0/24", "us-east-1b");
        aws.calls().clear();

        Execution sweep = workflow.execute("{\"sweep\": true, \"dryRun\": true}");

        assertTrue(sweep.succeeded(), sweep::toString);
        assertEquals("planned", sweep.output().path("outcome").asText());
        assertEquals(List.of(), aws.calls().mutatingCalls().stream().filter(c -> !c.dryRun()).toList(), "nothing changed");
        JsonNode line = StreamSupport.stream(sweep.output().path("region").path("vpcs").spliterator(), false)
                .filter(l -> l.path("vpcId").asText().equals(vpc)).findFirst().orElseThrow();
        assertEquals("planned", line.path("outcome").asText());
        List<String> planned = StreamSupport.stream(line.path("summary").path("actions").spliterator(), false).map(JsonNode::asText).toList();
        for (String service : List.of("ssm", "ssmmessages", "ec2messages")) {
            assertTrue(planned.stream().anyMatch(a -> a.startsWith("CreateVpcEndpoint") && a.contains(service) && a.endsWith("(+2 endpoint-zones)")),
                    () -> service + " planned in both zones: " + planned);
        }
        JsonNode tally = sweep.output().path("region").path("total").path("tally");
        assertEquals(6, tally.path("endpointZonesAdded").asInt());
        assertEquals(0, new BigDecimal("43.80").compareTo(tally.path("monthlyCostAddedUsd").decimalValue()), "6 zones x $0.01 x 730 h");
        assertEquals(Map.of(), endpoints(vpc));
    }

    @Test
    void aSweepOverTheBudgetOfEc2IsRefusedBeforeAnyCall() {
        stack(Map.of("API_RATE_SHARE", "0.5", "SWEEP_CONCURRENCY", "2"));
        aws.calls().clear();

        Execution sweep = workflow.execute("{\"sweep\": true}");

        assertEquals(Execution.Status.FAILED, sweep.status());
        assertEquals("ssmreach.core.InvalidConfigurationException",
                sweep.stateOutput("ReportFailure").path("result").path("error").path("errorType").asText(), sweep::toString);
        assertEquals(List.of(), aws.calls().calls().stream().filter(c -> "Ec2".equals(c.service())).toList());
    }

    private Map<String, List<VpcEndpoint>> endpoints(String vpcId) {
        return ec2.describeVpcEndpoints(r -> r.filters(f -> f.name("vpc-id").values(vpcId))).vpcEndpoints().stream()
                .collect(Collectors.groupingBy(e -> e.serviceName().substring(e.serviceName().lastIndexOf('.') + 1), TreeMap::new,
                        Collectors.toList()));
    }

    private String defaultVpc() {
        return ec2.describeVpcs(r -> r.filters(f -> f.name("is-default").values("true"))).vpcs().getFirst().vpcId();
    }

    private String zoneOf(String subnetId) {
        return ec2.describeSubnets(r -> r.subnetIds(subnetId)).subnets().getFirst().availabilityZone();
    }

    private static Map<String, Integer> counts(JsonNode node) {
        Map<String, Integer> counts = new TreeMap<>();
        node.fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
        return counts;
    }
}
