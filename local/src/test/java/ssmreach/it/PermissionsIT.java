package ssmreach.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import ssmreach.local.LocalAws;
import ssmreach.local.LocalWorkflow;
import ssmreach.local.iam.Authorizer;
import ssmreach.local.run.PermissionReport;
import ssmreach.local.scenario.Scenario;
import ssmreach.local.scenario.ScenarioReport;
import ssmreach.local.scenario.ScenarioRunner;
import ssmreach.local.scenario.TriggerRun;
import ssmreach.testing.LocalAwsExtension;

/**
 * What the grants of template.yaml are for, shown by taking them away: the same scenario files
 * that pass with the template as it is fail, with the denial AWS would give, when a grant is
 * missing or written as it once was. (They would pass against an emulator that allows everything.)
 */
@ExtendWith(LocalAwsExtension.class)
class PermissionsIT {
    private final LocalAws aws;

    @TempDir
    Path folder;

    PermissionsIT(LocalAws aws) {
        this.aws = aws;
    }

    @Test
    void withoutThePrivateHostedZoneGrantTheFirstEndpointOfAFreshVpcIsRefused() throws IOException {
        Path template = edited(withoutStatement(read(), "AssociatePrivateDnsZoneOfEndpoints"));

        ScenarioReport report = ScenarioRunner.run(aws, Scenario.load("fresh-isolated-subnet"), new ScenarioRunner.Listener() {}, template);

        assertFalse(report.passed());
        Authorizer.Denial denial = report.denials().getFirst();
        assertEquals("route53:AssociateVPCWithHostedZone", denial.action());
        assertTrue(denial.principal().arn().contains("EnsureEndpointsFunctionRole"), denial.principal().arn());
        TriggerRun run = report.runs().getFirst();
        assertEquals("FAILED", run.execution().status().name());
        String published = run.result().path("error").toString();
        assertTrue(published.contains("UnauthorizedOperation") && published.contains("route53:AssociateVPCWithHostedZone"), published);
    }

    @Test
    void withTheFormerModifyStatementASecondZoneCannotBeAdded() throws IOException {
        // As the template once granted it: conditioned on a key ModifyVpcEndpoint never evaluates.
        Path template = edited(replacingStatement(read(), "ExtendEndpointsAdditively", """
                            - Sid: ModifySsmEndpointsOnly
                              Effect: Allow
                              Action: ec2:ModifyVpcEndpoint
                              Resource: !Sub arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-endpoint/*
                              Condition:
                                StringEquals:
                                  ec2:VpceServiceName:
                                    - !Sub com.amazonaws.${AWS::Region}.ssm
                                    - !Sub com.amazonaws.${AWS::Region}.ssmmessages
                                    - !Sub com.amazonaws.${AWS::Region}.ec2messages
                """));

        ScenarioReport report = ScenarioRunner.run(aws, Scenario.load("second-subnet-other-zone"), new ScenarioRunner.Listener() {}, template);

        assertFalse(report.passed());
        assertTrue(report.runs().getFirst().passed(), "the first subnet creates its endpoints: " + report.runs().getFirst().failures());
        TriggerRun second = report.runs().get(1);
        assertEquals("FAILED", second.execution().status().name());
        String published = second.result().path("error").toString();
        assertTrue(published.contains("UnauthorizedOperation") && published.contains("ec2:ModifyVpcEndpoint"), published);
        assertTrue(report.denials().stream().allMatch(d -> d.action().equals("ec2:ModifyVpcEndpoint")
                && d.resource().contains(":vpc-endpoint/vpce-")), report.denials().toString());
        assertFalse(report.denials().isEmpty());
    }

    @Test
    void aDryRunReportsTheMissingGrantWithItsDecodedReason() throws IOException {
        Path template = edited(withoutStatement(read(), "AssociatePrivateDnsZoneOfEndpoints"));

        ScenarioReport report = ScenarioRunner.run(aws, Scenario.load("fresh-isolated-subnet").asDryRun(),
                new ScenarioRunner.Listener() {}, template);
        PermissionReport permissions = PermissionReport.of(report.runs().stream().map(TriggerRun::result).toList(), aws.sts());

        List<PermissionReport.Entry> creations = permissions.entries().stream()
                .filter(e -> e.operation().equals("CreateVpcEndpoint")).toList();
        assertEquals(4, creations.size(), permissions.entries().toString());
        for (PermissionReport.Entry interfaceEndpoint : creations.subList(0, 3)) {
            assertEquals("denied", interfaceEndpoint.permission());
            assertTrue(interfaceEndpoint.reason().startsWith("not allowed: route53:AssociateVPCWithHostedZone on "
                    + "arn:aws:route53:::hostedzone/* for arn:aws:sts::123456789012:assumed-role/ssm-reach-EnsureEndpointsFunctionRole/"),
                    interfaceEndpoint.reason());
        }
        assertEquals("allowed", creations.get(3).permission(), "the S3 gateway has no private DNS: " + creations.get(3));
        assertEquals(List.of("unchecked"), permissions.entries().stream().filter(e -> e.operation().equals("ModifyVpcAttribute"))
                .map(PermissionReport.Entry::permission).toList(), "ModifyVpcAttribute offers no DryRun");
        assertEquals(List.of("allowed"), permissions.entries().stream().filter(e -> e.operation().equals("CreateSecurityGroup"))
                .map(PermissionReport.Entry::permission).toList());
        assertTrue(permissions.entries().stream().filter(e -> e.operation().equals("AuthorizeSecurityGroupIngress"))
                .allMatch(e -> e.permission().equals("unchecked")), "no group to probe the rule on before it exists: " + permissions.entries());
        assertTrue(aws.calls().mutatingCalls().isEmpty(), "a dry run changes nothing: " + aws.calls().mutatingCalls());
    }

    @Test
    void withTheTemplateAsItIsNothingIsRefused() {
        ScenarioReport report = ScenarioRunner.run(aws, Scenario.load("second-subnet-other-zone"), new ScenarioRunner.Listener() {});

        assertTrue(report.passed(), () -> String.join("\n", report.failures()));
        assertEquals(List.of(), report.denials());
    }

    private static String read() throws IOException {
        return Files.readString(LocalWorkflow.template());
    }

    private Path edited(String text) throws IOException {
        Path template = folder.resolve("template.yaml");
        Files.writeString(template, text);
        return template;
    }

    /** The template without the policy statement that has this Sid (its lines up to the next statement). */
    static String withoutStatement(String template, String sid) {
        return replacingStatement(template, sid, "");
    }

    static String replacingStatement(String template, String sid, String replacement) {
        List<String> out = new ArrayList<>();
        String[] lines = template.split("\n", -1);
        boolean found = false;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].trim().equals("- Sid: " + sid)) {
                found = true;
                int indent = lines[i].indexOf('-');
                while (i + 1 < lines.length && (lines[i + 1].isBlank() || lines[i + 1].indexOf(lines[i + 1].trim()) > indent)) {
                    i++;
                }
                if (!replacement.isEmpty()) {
                    out.add(replacement.stripTrailing());
                }
                continue;
            }
            out.add(lines[i]);
        }
        if (!found) {
            throw new IllegalArgumentException("template.yaml has no statement with Sid " + sid);
        }
        return String.join("\n", out);
    }
}
