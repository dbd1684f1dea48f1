package ssmreach;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.withSettings;

import java.lang.reflect.Method;
import java.util.List;
import java.util.function.Consumer;
import org.mockito.Answers;
import org.mockito.invocation.Invocation;
import org.mockito.invocation.InvocationOnMock;
import org.mockito.stubbing.Answer;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Mocks of the SDK clients for unit tests. The SDK's convenience overloads (taking a
 * {@code Consumer<Builder>}) and its paginators are default interface methods that build the request
 * and call the request-object method on the same client. These mocks run those default methods for
 * real, so a test stubs, captures and verifies only the request-object methods; the delegating
 * calls are left out of verification, so {@code verifyNoMoreInteractions} sees exactly the AWS
 * operations sent.
 */
public final class SdkMocks {
    private SdkMocks() {}

    public static Ec2Client ec2() {
        return mock(Ec2Client.class, withSettings().defaultAnswer(DELEGATE_CONVENIENCE_METHODS));
    }

    public static EventBridgeClient eventBridge() {
        return mock(EventBridgeClient.class, withSettings().defaultAnswer(DELEGATE_CONVENIENCE_METHODS));
    }

    public static SnsClient sns() {
        return mock(SnsClient.class, withSettings().defaultAnswer(DELEGATE_CONVENIENCE_METHODS));
    }

    public static IamClient iam() {
        return mock(IamClient.class, withSettings().defaultAnswer(DELEGATE_CONVENIENCE_METHODS));
    }

    public static SfnClient sfn() {
        return mock(SfnClient.class, withSettings().defaultAnswer(DELEGATE_CONVENIENCE_METHODS));
    }

    public static SsmClient ssm() {
        return mock(SsmClient.class, withSettings().defaultAnswer(DELEGATE_CONVENIENCE_METHODS));
    }

    /** An EC2 error as the SDK raises it: HTTP status, AWS error code and message. */
    public static Ec2Exception ec2Error(int status, String code, String message) {
        return (Ec2Exception) Ec2Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).serviceName("Ec2").build())
                .build();
    }

    public static Ec2Exception ec2Error(String code, String message) {
        return ec2Error(400, code, message);
    }

    /** The AWS operations sent to a mock (request-object calls only), in order, e.g. "createVpcEndpoint". */
    public static List<String> operations(Object client) {
        return org.mockito.Mockito.mockingDetails(client).getInvocations().stream()
                .filter(i -> !i.isIgnoredForVerification())
                .filter(i -> i.getArguments().length == 1 && i.getArguments()[0] instanceof AwsRequest)
                .map(i -> i.getMethod().getName()).toList();
    }

    private static final Answer<Object> DELEGATE_CONVENIENCE_METHODS = new Answer<>() {
        @Override
        public Object answer(InvocationOnMock invocation) throws Throwable {
            Method method = invocation.getMethod();
            boolean convenience = method.isDefault() && (method.getName().endsWith("Paginator")
                    || (method.getParameterCount() == 1 && Consumer.class.equals(method.getParameterTypes()[0])));
            if (convenience) {
                ((Invocation) invocation).ignoreForVerification();
                return invocation.callRealMethod();
            }
            return Answers.RETURNS_DEFAULTS.answer(invocation);
        }
    };
}
