package ssmreach.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import ssmreach.local.iam.Authorizer;
import ssmreach.testing.LocalAwsExtension;

/**
 * The local AWS refuses what AWS would refuse, in AWS's words: each function signs as its own
 * role of the deployed template, and a call its role does not allow never reaches the emulator.
 */
@ExtendWith(LocalAwsExtension.class)
class AuthorizerIT {
    private static final Pattern ENCODED = Pattern.compile("Encoded authorization failure message: (\\S+)");

    private final LocalAws aws;
    private final World world;
    private final Function<String, LocalFunctions.Clients> stack;

    AuthorizerIT(LocalAws aws) {
        this.aws = aws;
        this.world = new World(aws.inspectEc2());
        this.stack = aws.deploy(LocalFunctions.settings(Map.of()));
    }

    @Test
    void aFunctionMayMakeTheCallsItsRoleAllowsAndNoOther() {
        String vpc = world.vpc("10.0.0.0/16");
        Ec2Client classify = stack.apply("ClassifySubnetsFunction").ec2();

        assertEquals(vpc, classify.describeVpcs(r -> r.vpcIds(vpc)).vpcs().getFirst().vpcId());
        Ec2Exception refused = assertThrows(Ec2Exception.class,
                () -> classify.createSecurityGroup(r -> r.vpcId(vpc).groupName("x").description("x")));

        assertEquals(403, refused.statusCode());
        assertEquals("UnauthorizedOperation", refused.awsErrorDetails().errorCode());
        assertTrue(refused.awsErrorDetails().errorMessage().startsWith("You are not authorized to perform this operation. User: "
                + "arn:aws:sts::123456789012:assumed-role/ssm-reach-ClassifySubnetsFunctionRole/ssm-reach-ClassifySubnetsFunction "
                + "is not authorized to perform: ec2:CreateSecurityGroup on resource: arn:aws:ec2:us-east-1:123456789012:"),
                refused.awsErrorDetails().errorMessage());
        assertTrue(aws.inspectEc2().describeSecurityGroups(r -> r.filters(f -> f.name("group-name").values("x")))
                .securityGroups().isEmpty(), "a refused call never reaches the emulator");
    }

    @Test
    void aDryRunAnswersDryRunOperationOnlyWhenTheCallWouldBeAllowed() {
        String vpc = world.vpc("10.0.0.0/16");

        Ec2Exception allowed = assertThrows(Ec2Exception.class, () -> stack.apply("PrepareVpcFunction").ec2().createSecurityGroup(
                r -> r.vpcId(vpc).groupName("ssm-reach-endpoints").description("x").dryRun(true)
                        .tagSpecifications(t -> t.resourceType("security-group").tags(tag -> tag.key("ssm-reach:managed").value("true")))));
        Ec2Exception untagged = assertThrows(Ec2Exception.class, () -> stack.apply("PrepareVpcFunction").ec2().createSecurityGroup(
                r -> r.vpcId(vpc).groupName("ssm-reach-endpoints").description("x").dryRun(true)));

        assertEquals("DryRunOperation", allowed.awsErrorDetails().errorCode());
        assertEquals("UnauthorizedOperation", untagged.awsErrorDetails().errorCode(),
                "without the managed tag the group may not be created, DryRun or not");
    }

    @Test
    void theDnsAttributesMayBeTurnedOnAndNothingElse() {
        String vpc = world.vpc("10.0.0.0/16");
        Ec2Client prepare = stack.apply("PrepareVpcFunction").ec2();

        prepare.modifyVpcAttribute(r -> r.vpcId(vpc).enableDnsHostnames(v -> v.value(true)));
        Ec2Exception off = assertThrows(Ec2Exception.class, () -> prepare.modifyVpcAttribute(r -> r.vpcId(vpc)
                .enableDnsSupport(v -> v.value(false))));
        Ec2Exception other = assertThrows(Ec2Exception.class, () -> prepare.modifyVpcAttribute(r -> r.vpcId(vpc)
                .enableNetworkAddressUsageMetrics(v -> v.value(true))));

        assertEquals("UnauthorizedOperation", off.awsErrorDetails().errorCode());
        assertEquals("UnauthorizedOperation", other.awsErrorDetails().errorCode());
        assertTrue(aws.inspectEc2().describeVpcAttribute(r -> r.vpcId(vpc).attribute("enableDnsHostnames"))
                .enableDnsHostnames().value());
    }

    @Test
    void theEncodedMessageOpensWithDecodeAuthorizationMessage() throws Exception {
        String vpc = world.vpc("10.0.0.0/16");
        String subnet = world.subnet(vpc, "10.0.1.0/24", "us-east-1a");
        Ec2Exception refused = assertThrows(Ec2Exception.class, () -> stack.apply("ReportFunction").ec2()
                .createTags(r -> r.resources(subnet).tags(t -> t.key("ssm-reach:skip").value("true"))));
        Matcher encoded = ENCODED.matcher(refused.awsErrorDetails().errorMessage());
        assertTrue(encoded.find(), refused.awsErrorDetails().errorMessage());

        JsonNode decoded = new ObjectMapper().readTree(aws.sts().decodeAuthorizationMessage(r -> r.encodedMessage(encoded.group(1)))
                .decodedMessage());

        assertFalse(decoded.path("allowed").asBoolean());
        assertEquals("ec2:CreateTags", decoded.path("context").path("action").asText());
        assertEquals("arn:aws:ec2:us-east-1:123456789012:subnet/" + subnet, decoded.path("context").path("resource").asText());
        assertTrue(decoded.path("context").path("conditions").toString().contains("ssm-reach:skip"), decoded.toString());
    }

    @Test
    void otherServicesRefuseInTheirOwnForm() {
        AwsServiceException iam = assertThrows(AwsServiceException.class, () -> stack.apply("ClassifySubnetsFunction").iam()
                .getInstanceProfile(r -> r.instanceProfileName("anything")));
        AwsServiceException ssm = assertThrows(AwsServiceException.class, () -> stack.apply("ClassifySubnetsFunction").ssm()
                .describeInstanceInformation(r -> { }));
        AwsServiceException sns = assertThrows(AwsServiceException.class, () -> stack.apply("ClassifySubnetsFunction").sns()
                .publish(r -> r.topicArn("arn:aws:sns:us-east-1:123456789012:ssm-reach-results").message("x")));
        AwsServiceException events = assertThrows(AwsServiceException.class, () -> stack.apply("ReportFunction").events()
                .putEvents(r -> r.entries(e -> e.source("someone-else").detailType("SSM Reach Result").detail("{}"))));

        assertEquals(List.of("AccessDenied", "AccessDeniedException", "AuthorizationError", "AccessDeniedException"),
                List.of(iam, ssm, sns, events).stream().map(e -> e.awsErrorDetails().errorCode()).toList());
        assertEquals(List.of(403, 400, 403, 400), List.of(iam, ssm, sns, events).stream().map(AwsServiceException::statusCode).toList());
        assertTrue(events.getMessage().contains("events:PutEvents"), events.getMessage());
    }

    @Test
    void anUnknownAccessKeyIsNotAuthenticated() {
        Ec2Client stranger = Ec2Client.builder().httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
                .region(LocalAws.REGION).endpointOverride(aws.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIANOBODY", "x"))).build();

        Ec2Exception refused = assertThrows(Ec2Exception.class, () -> stranger.describeVpcs());

        // EC2's AuthFailure is an HTTP 401; the JDK's URL connection keeps a 401's body from the SDK, so the status tells.
        assertEquals(401, refused.statusCode(), refused.getMessage());
    }

    @Test
    void aCallWithResourceLevelPermissionsAndNoModelFailsLoudly() {
        String vpc = world.vpc("10.0.0.0/16");

        Ec2Exception refused = assertThrows(Ec2Exception.class, () -> aws.ec2().deleteVpc(r -> r.vpcId(vpc)));

        assertEquals("LocalAuthorizationUnmodelled", refused.awsErrorDetails().errorCode());
        assertTrue(refused.awsErrorDetails().errorMessage().contains("ec2:DeleteVpc"), refused.awsErrorDetails().errorMessage());
        assertTrue(aws.authorizer().unmodelled().stream().anyMatch(m -> m.contains("ec2:DeleteVpc")));
        assertEquals(1, aws.inspectEc2().describeVpcs(r -> r.vpcIds(vpc)).vpcs().size(), "nothing was deleted");
    }

    @Test
    void denialsAreRecordedWithTheirPrincipal() {
        String vpc = world.vpc("10.0.0.0/16");
        assertThrows(Ec2Exception.class, () -> stack.apply("CheckEndpointsFunction").ec2()
                .modifyVpcAttribute(r -> r.vpcId(vpc).enableDnsSupport(v -> v.value(false))));

        Authorizer.Denial denial = aws.authorizer().denials().getLast();

        assertEquals("ec2:ModifyVpcAttribute", denial.action());
        assertTrue(denial.principal().arn().endsWith("/ssm-reach-CheckEndpointsFunction"), denial.principal().arn());
        assertEquals("EnableDnsSupport", denial.context().get("ec2:Attribute"));
    }
}
