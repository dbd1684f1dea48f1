package ssmreach.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioException;

/**
 * The scenario files are valid, the default one is the world the README promises, and a typo in a
 * scenario fails loudly, naming the file, the place and the problem. No emulator needed.
 */
class ScenarioFilesTest {
    private static final String VALID = """
            {"description": "d",
             "world": {"vpcs": [{"name": "main", "cidr": "10.0.0.0/16"}],
                       "subnets": [{"name": "isolated-a", "cidr": "10.0.1.0/24", "zone": "us-east-1a"},
                                   {"name": "later-b", "cidr": "10.0.2.0/24", "zone": "us-east-1b", "later": true}]},
             "triggers": [{"input": {"subnetId": "${isolated-a}"}, "expect": {"path": ["ParseTrigger", "Report"]}}]}
            """;

    static List<String> scenarios() {
        return Scenario.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void everyScenarioFileIsValid(String name) {
        Scenario scenario = Scenario.load(name);

        assertFalse(scenario.triggers().isEmpty());
        assertFalse(scenario.description().isBlank());
    }

    @Test
    void defaultScenarioHasPublicEgressAndIsolatedSubnetsInTwoZonesAndInstances() {
        Scenario.World world = Scenario.load("default").world();

        assertEquals(Set.of("public", "nat", "isolated"), world.subnets().stream().map(Scenario.Subnet::route).collect(Collectors.toSet()));
        assertTrue(world.subnets().stream().filter(s -> s.route().equals("isolated")).map(Scenario.Subnet::zone).distinct().count() >= 2);
        assertFalse(world.instances().isEmpty());
    }

    @Test
    void anInstanceHasAPublicIpv4AddressByDefaultOnlyInAPublicSubnet() {
        Scenario.World world = Scenario.parse("example", """
                {"description": "d",
                 "world": {"vpcs": [{"name": "main", "cidr": "10.0.0.0/16"}],
                           "subnets": [{"name": "public-a", "cidr": "10.0.0.0/24", "zone": "us-east-1a", "route": "public"},
                                       {"name": "isolated-a", "cidr": "10.0.1.0/24", "zone": "us-east-1a"}],
                           "instances": [{"name": "web", "subnet": "public-a"},
                                         {"name": "private-web", "subnet": "public-a", "publicIp": false},
                                         {"name": "app", "subnet": "isolated-a"}]},
                 "triggers": [{"input": {"vpcId": "${main}"}}]}
                """).world();

        assertEquals(List.of(true, false, false), world.instances().stream().map(Scenario.Instance::publicIp).toList());
    }

    @Test
    void theValidExampleLoads() {
        assertEquals(1, Scenario.parse("example", VALID).triggers().size());
    }

    static Stream<Arguments> typos() {
        return Stream.of(
                Arguments.of("\"triggers\":", "\"expects\": {}, \"triggers\":", "example.json: unknown field \"expects\""),
                Arguments.of("\"zone\": \"us-east-1a\"}", "\"zone\": \"us-east-1a\", \"route\": \"privat\"}",
                        "example.json: world.subnets[0].route: \"privat\" is not one of [isolated, public, nat, tgw, peering, gwlb, "
                                + "ipv6-egress-only, ipv6-internet]"),
                Arguments.of("\"zone\": \"us-east-1a\"}", "\"zone\": \"us-east-1a\", \"route\": \"ipv6-egress-only\"}",
                        "world.subnets: isolated-a has route ipv6-egress-only, but VPC main has no IPv6 block"),
                Arguments.of("\"cidr\": \"10.0.1.0/24\"", "\"cidr\": \"10.0.1.0/24\", \"tag\": {}",
                        "example.json: world.subnets[0]: unknown field \"tag\""),
                Arguments.of("\"path\": [\"ParseTrigger\", \"Report\"]", "\"path\": [\"ParseTriger\"]",
                        "triggers[0].expect.path: \"ParseTriger\" is not a state of statemachine/workflow.asl.json"),
                Arguments.of("{\"description\": \"d\",", "{\"description\": \"d\", \"settings\": {\"SCOPES\": \"isolated\"},",
                        "example.json: settings.SCOPES: unknown stack setting"),
                Arguments.of("{\"description\": \"d\",", "{\"description\": \"d\", \"settings\": {\"SCOPE\": \"everything\"},",
                        "example.json: settings: SCOPE must be 'isolated' or 'isolated-and-egress'"),
                Arguments.of("${isolated-a}", "${isolated-z}", "triggers[0].input: ${isolated-z} names nothing in the world"),
                Arguments.of("${isolated-a}", "${later-b}", "subnet \"later-b\" is marked later and not created yet here"),
                Arguments.of("\"triggers\": [", "\"triggers\": [{\"event\": \"events/create-subnet.json\", \"subnet\": \"main\"},",
                        "triggers[0].subnet: \"main\" is not the name of a subnet of the world (it names a vpc)"),
                Arguments.of("\"triggers\": [",
                        "\"triggers\": [{\"do\": \"fail-next\", \"function\": \"EnsureEndpoint\", \"error\": \"x\"},",
                        "triggers[0].function: \"EnsureEndpoint\" is not a function of the workflow"),
                Arguments.of("\"triggers\": [",
                        "\"triggers\": [{\"do\": \"fail-next\", \"function\": \"EnsureEndpoints\", \"error\": \"ssmreach.core.Nope\"},",
                        "triggers[0].error: no class ssmreach.core.Nope"),
                Arguments.of("\"expect\": {\"path\"", "\"concurrent\": true, \"expect\": {\"mutations\": [], \"path\"",
                        "triggers[0].expect.mutations: cannot be told apart between concurrent executions"),
                Arguments.of("\"name\": \"isolated-a\"", "\"name\": \"main\"",
                        "world.subnets[0].name: \"main\" is already the name of a vpc"),
                Arguments.of("\"triggers\": [",
                        "\"triggers\": [{\"do\": \"disable-dns-attribute\", \"vpc\": \"main\", \"attribute\": \"enableDns\"},",
                        "triggers[0].attribute: \"enableDns\" is not one of [enableDnsSupport, enableDnsHostnames]"),
                Arguments.of("\"triggers\": [",
                        "\"triggers\": [{\"do\": \"remove-endpoint-zone\", \"service\": \"s3\", \"subnet\": \"isolated-a\"},",
                        "triggers[0].service: \"s3\" is not one of [ssm, ssmmessages, ec2messages, ec2, kms, logs]"),
                Arguments.of("\"triggers\": [",
                        "\"triggers\": [{\"do\": \"drop-gateway-route-table\", \"subnet\": \"later-b\"},",
                        "subnet \"later-b\" is marked later and not created yet here"),
                Arguments.of("\"expect\": {\"path\"", "\"expect\": {\"matches\": {\"actions.0.found\": \"(\"}, \"path\"",
                        "triggers[0].expect.matches.actions.0.found: \"(\" is not a regular expression"),
                Arguments.of("\"expect\": {\"path\"", "\"expect\": {\"matches\": {\"actions.0.found\": \"${nothing}\"}, \"path\"",
                        "${nothing} names nothing in the world"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("typos")
    void aTypoFailsLoudlyWithItsLocation(String valid, String typo, String message) {
        assertTrue(VALID.contains(valid), "the example holds " + valid);

        ScenarioException e = assertThrows(ScenarioException.class, () -> Scenario.parse("example", VALID.replace(valid, typo)));

        assertTrue(e.getMessage().contains(message), () -> "expected a message with\n  " + message + "\ngot\n  " + e.getMessage());
    }
}
