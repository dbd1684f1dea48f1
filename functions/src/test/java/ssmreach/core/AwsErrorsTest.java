package ssmreach.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static ssmreach.SdkMocks.ec2Error;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import ssmreach.contract.Action;
import ssmreach.contract.Finding;

class AwsErrorsTest {
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "400, RequestLimitExceeded",
            "503, RequestLimitExceeded",
            "400, Throttling",
            "500, InternalError",
            "503, Unavailable",
            "503, ServiceUnavailable",
            "429, TooManyRequestsException",
    })
    void throttlingAndServerErrorsAreRetryable(int status, String code) {
        RuntimeException translated = AwsErrors.translate(ec2Error(status, code, "slow down"));

        assertInstanceOf(RetryableAwsException.class, translated);
        assertTrue(translated.getMessage().startsWith(code), translated.getMessage());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "403, UnauthorizedOperation",
            "400, InvalidParameterValue",
            "400, VpcEndpointLimitExceeded",
            "400, InvalidSubnetID.NotFound",
    })
    void otherAwsErrorsSurfaceWithTheirCode(int status, String code) {
        Ec2Exception cause = ec2Error(status, code, "no");

        RuntimeException translated = AwsErrors.translate(cause);

        AwsFailureException failure = assertInstanceOf(AwsFailureException.class, translated);
        assertEquals(code, failure.errorCode());
        assertEquals(code + ": no", failure.getMessage());
        assertSame(cause, failure.getCause());
    }

    @Test
    void errorWithoutCodeIsNamedByItsStatus() {
        AwsFailureException failure = assertInstanceOf(AwsFailureException.class,
                AwsErrors.translate(Ec2Exception.builder().statusCode(404).message("not here").build()));

        assertEquals("HTTP404", failure.errorCode());
    }

    @Test
    void unreachableAwsIsRetryable() {
        assertInstanceOf(RetryableAwsException.class, AwsErrors.translate(SdkClientException.create("connect timed out")));
    }

    @Test
    void notFoundCodesAreRecognised() {
        assertTrue(AwsErrors.isNotFound(ec2Error("InvalidVpcID.NotFound", "gone")));
        assertTrue(AwsErrors.isNotFound(ec2Error("InvalidSubnetID.NotFound", "gone")));
        assertEquals(false, AwsErrors.isNotFound(ec2Error("InvalidVpcID.Malformed", "bad")));
        assertEquals(false, AwsErrors.isNotFound(SdkClientException.create("no code")));
    }

    // ---------------------------------------------------------------- DryRunProbe

    @Test
    void dryRunOperationMeansPermitted() {
        List<Finding> findings = new ArrayList<>();

        String permission = DryRunProbe.probe("CreateVpcEndpoint", "com.amazonaws.us-east-1.ssm", () -> {
            throw ec2Error(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
        }, findings);

        assertEquals(Action.ALLOWED, permission);
        assertEquals(List.of(), findings);
    }

    @Test
    void unauthorizedOperationIsAPermissionFindingWithEc2sMessage() {
        List<Finding> findings = new ArrayList<>();

        String permission = DryRunProbe.probe("CreateVpcEndpoint", "com.amazonaws.us-east-1.ssm", () -> {
            throw ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation. "
                    + "Encoded authorization failure message: abc123");
        }, findings);

        assertEquals(Action.DENIED, permission);
        Finding finding = findings.getFirst();
        assertEquals("PERMISSION_MISSING", finding.code());
        assertEquals("com.amazonaws.us-east-1.ssm", finding.resource());
        assertTrue(finding.message().contains("Encoded authorization failure message: abc123"), finding.message());
    }

    @Test
    void otherDryRunErrorsPassThrough() {
        Ec2Exception error = ec2Error("InvalidVpcID.NotFound", "gone");

        Ec2Exception thrown = assertThrows(Ec2Exception.class, () -> DryRunProbe.probe("CreateSecurityGroup", "vpc-0", () -> {
            throw error;
        }, new ArrayList<>()));

        assertSame(error, thrown);
    }

    @Test
    void dryRunThatSucceedsIsRefused() {
        assertThrows(IllegalStateException.class, () -> DryRunProbe.probe("CreateSecurityGroup", "vpc-0", () -> { }, new ArrayList<>()));
    }
}
