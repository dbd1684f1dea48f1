package ssmreach.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import ssmreach.local.LocalAws;

/**
 * Gives a test the local AWS (moto behind the strictness proxy), started once per test JVM on a
 * free loopback port and stopped with it; each test starts from an empty account.
 */
public final class LocalAwsExtension implements BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LocalAwsExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        aws(context).reset();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalAws.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return aws(context);
    }

    private static LocalAws aws(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent("aws",
                key -> LocalAws.start(Path.of("target", "moto-" + System.getProperty("ssmreach.fork", "1") + ".log")), LocalAws.class);
    }
}
