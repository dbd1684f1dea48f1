package ssmreach.instance;

import java.util.List;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.EvaluationResult;
import software.amazon.awssdk.services.iam.model.Role;

/**
 * What the SSM agent's role must allow to register and take commands, checked the exact way:
 * iam:SimulatePrincipalPolicy, which weighs every policy of the role, denies included.
 */
public final class AgentPermissions {
    /** The core of AmazonSSMManagedInstanceCore: registration, the message channels, documents. */
    public static final List<String> REQUIRED = List.of(
            "ssm:UpdateInstanceInformation", "ssm:ListInstanceAssociations", "ssm:GetDocument",
            "ssmmessages:CreateControlChannel", "ssmmessages:OpenControlChannel",
            "ssmmessages:CreateDataChannel", "ssmmessages:OpenDataChannel",
            "ec2messages:GetMessages", "ec2messages:AcknowledgeMessage", "ec2messages:SendReply");

    public static final String MANAGED_POLICY = "AmazonSSMManagedInstanceCore";

    private AgentPermissions() {}

    /** The required actions the role does not allow; empty when it allows them all. */
    public static List<String> denied(IamClient iam, Role role) {
        return iam.simulatePrincipalPolicyPaginator(r -> r.policySourceArn(role.arn()).actionNames(REQUIRED))
                .evaluationResults().stream()
                .filter(result -> !"allowed".equalsIgnoreCase(result.evalDecisionAsString()))
                .map(EvaluationResult::evalActionName).distinct().toList();
    }

    /**
     * An instance profile as IAM knows it now: {@code exists} is false when it was deleted while
     * still associated; {@code role} is null when it has none.
     */
    public record ProfileRole(boolean exists, Role role) {}

    /** The role of an instance profile (by ARN). */
    public static ProfileRole roleOf(IamClient iam, String profileArn) {
        String name = profileArn.substring(profileArn.lastIndexOf('/') + 1);
        try {
            List<Role> roles = iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile().roles();
            return new ProfileRole(true, roles.isEmpty() ? null : roles.getFirst());
        } catch (NoSuchEntityException e) {
            return new ProfileRole(false, null);
        }
    }

    /** arn:PARTITION:iam::aws:policy/AmazonSSMManagedInstanceCore, in the partition of the given ARN. */
    public static String managedPolicyArn(String anyArnOfThePartition) {
        String partition = anyArnOfThePartition.split(":")[1];
        return "arn:" + partition + ":iam::aws:policy/" + MANAGED_POLICY;
    }
}
