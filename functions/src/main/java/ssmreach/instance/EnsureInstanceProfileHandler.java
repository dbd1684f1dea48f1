package ssmreach.instance;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileAssociation;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.Role;
import ssmreach.contract.Action;
import ssmreach.contract.Finding;
import ssmreach.contract.InstanceTarget;
import ssmreach.contract.ProfileRequest;
import ssmreach.contract.ProfileResult;
import ssmreach.contract.Severity;
import ssmreach.core.AwsErrors;
import ssmreach.core.Clients;
import ssmreach.core.InvalidInputException;
import ssmreach.core.JsonHandler;
import ssmreach.core.RetryableAwsException;
import ssmreach.core.Settings;
import ssmreach.core.Twins;

/**
 * Gives one running instance what the agent needs to sign in: the stack's instance profile when it
 * has none; when it has one, a check of that role (and, by parameter, AmazonSSMManagedInstanceCore
 * attached to it). An existing profile is never disassociated or replaced.
 */
public class EnsureInstanceProfileHandler extends JsonHandler<ProfileRequest, ProfileResult> {
    private final Settings settings;
    private final Ec2Client ec2;
    private final IamClient iam;

    public EnsureInstanceProfileHandler() {
        this(Settings.fromEnvironment());
    }

    private EnsureInstanceProfileHandler(Settings settings) {
        this(settings, Clients.ec2(settings), Clients.iam(settings));
        primeBeforeSnapshot(settings);
    }

    public EnsureInstanceProfileHandler(Settings settings, Ec2Client ec2, IamClient iam) {
        super(ProfileRequest.class);
        this.settings = settings;
        this.ec2 = ec2;
        this.iam = iam;
    }

    @Override
    protected void prime(Twins twins) throws IOException {
        serveSamples(new EnsureInstanceProfileHandler(settings, twins.ec2(), twins.iam()), twins);
    }

    @Override
    public ProfileResult handle(ProfileRequest request) {
        InstanceTarget target = request.instance();
        if (target == null || target.instanceId() == null) {
            throw new InvalidInputException("The profile step needs an instance");
        }
        String id = target.instanceId();
        Instance instance = describe(id);
        if (instance == null) {
            return new ProfileResult(id, target.subnetId(), "gone", null, "gone", false, List.of(), List.of());
        }
        String state = instance.state().nameAsString();
        if (!"running".equals(state)) {
            return new ProfileResult(id, instance.subnetId(), state, profileArn(instance), "not-running", false, List.of(), List.of());
        }
        List<Action> actions = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        boolean metadataOn = instance.metadataOptions() == null
                || !"disabled".equalsIgnoreCase(instance.metadataOptions().httpEndpointAsString());
        if (!metadataOn) {
            findings.add(new Finding("METADATA_SERVICE_DISABLED", Severity.ERROR, id,
                    "The instance metadata service is disabled: the agent cannot get the profile's credentials",
                    "aws ec2 modify-instance-metadata-options --instance-id " + id + " --http-endpoint enabled"));
        }
        String profile = profileArn(instance);
        String ours = settings.requireInstanceProfileArn();
        if (profile == null) {
            if (request.dryRun()) {
                // AssociateIamInstanceProfile offers no DryRun: a dry run only plans it.
                actions.add(Action.of("AssociateIamInstanceProfile", id, "profile " + ours, true));
                return result(instance, ours, "associated", false, actions, findings);
            }
            profile = associateOrReread(id, ours, actions);
        }
        if (profile == null) {
            return new ProfileResult(id, instance.subnetId(), "gone", null, "gone", false, actions, findings);
        }
        // A dry run waits for nothing: no registration is expected from it.
        boolean awaitable = metadataOn && !request.dryRun();
        if (profile.equals(ours)) {
            String action = actions.isEmpty() ? "existing-ok" : "associated";
            return result(instance, profile, action, awaitable, actions, findings);
        }
        return checkForeignRole(instance, profile, request.dryRun(), awaitable, actions, findings);
    }

    private ProfileResult checkForeignRole(Instance instance, String profile, boolean dryRun, boolean awaitable,
                                           List<Action> actions, List<Finding> findings) {
        AgentPermissions.ProfileRole profileRole = AgentPermissions.roleOf(iam, profile);
        if (!profileRole.exists()) {
            findings.add(new Finding("PROFILE_NOT_FOUND", Severity.ERROR, profile,
                    "The instance's profile no longer exists in IAM: the agent gets no credentials",
                    "Associate an existing profile with " + AgentPermissions.MANAGED_POLICY + " (aws ec2 "
                            + "replace-iam-instance-profile-association), or recreate the profile; ssm-reach does not replace it"));
            return result(instance, profile, "reported", false, actions, findings);
        }
        Role role = profileRole.role();
        if (role == null) {
            findings.add(new Finding("PROFILE_WITHOUT_ROLE", Severity.ERROR, profile,
                    "The instance's profile has no role: the agent gets no credentials",
                    "Add a role with " + AgentPermissions.MANAGED_POLICY + " to the profile"));
            return result(instance, profile, "reported", false, actions, findings);
        }
        List<String> denied = AgentPermissions.denied(iam, role);
        if (denied.isEmpty()) {
            return result(instance, profile, "existing-ok", awaitable, actions, findings);
        }
        String policy = AgentPermissions.managedPolicyArn(role.arn());
        if (!settings.attachPolicyToExistingRole()) {
            findings.add(new Finding("ROLE_LACKS_SSM_PERMISSIONS", Severity.ERROR, role.arn(),
                    "The instance's role does not allow " + denied + ": the agent cannot register",
                    "aws iam attach-role-policy --role-name " + role.roleName() + " --policy-arn " + policy
                            + " (or deploy with ExistingProfile=attach-policy)"));
            return result(instance, profile, "reported", false, actions, findings);
        }
        // IAM offers no DryRun: a dry run only plans it.
        if (!dryRun) {
            iam.attachRolePolicy(r -> r.roleName(role.roleName()).policyArn(policy));
        }
        actions.add(Action.of("AttachRolePolicy", role.arn(), AgentPermissions.MANAGED_POLICY + " (it lacked " + denied + ")", dryRun));
        return result(instance, profile, "policy-attached", awaitable, actions, findings);
    }

    /**
     * Associates the stack's profile; if someone else associated one meanwhile, that one is it.
     * Null when the instance was terminated meanwhile.
     */
    private String associateOrReread(String instanceId, String ours, List<Action> actions) {
        try {
            ec2.associateIamInstanceProfile(r -> r.instanceId(instanceId).iamInstanceProfile(p -> p.arn(ours)));
            actions.add(Action.of("AssociateIamInstanceProfile", instanceId, "profile " + ours, false));
            return ours;
        } catch (SdkException e) {
            if (AwsErrors.isNotFound(e) && AwsErrors.code(e).startsWith("InvalidInstanceID")) {
                return null;
            }
            if (!AwsErrors.hasCode(e, "IncorrectState")) {
                throw e;
            }
        }
        return ec2.describeIamInstanceProfileAssociations(r -> r.filters(
                        Filter.builder().name("instance-id").values(instanceId).build(),
                        Filter.builder().name("state").values("associating", "associated").build()))
                .iamInstanceProfileAssociations().stream().map(IamInstanceProfileAssociation::iamInstanceProfile)
                .map(p -> p.arn()).findFirst()
                .orElseThrow(() -> new RetryableAwsException("Instance " + instanceId + " has an association that is not visible yet"));
    }

    private Instance describe(String instanceId) {
        return ec2.describeInstancesPaginator(r -> r.filters(Filter.builder().name("instance-id").values(instanceId).build()))
                .reservations().stream().flatMap(r -> r.instances().stream()).findFirst().orElse(null);
    }

    private static String profileArn(Instance instance) {
        return instance.iamInstanceProfile() == null ? null : instance.iamInstanceProfile().arn();
    }

    private static ProfileResult result(Instance instance, String profile, String action, boolean registrationExpected,
                                        List<Action> actions, List<Finding> findings) {
        return new ProfileResult(instance.instanceId(), instance.subnetId(), instance.state().nameAsString(), profile, action,
                registrationExpected, actions, findings);
    }
}
