// CI-only stub, never part of the app: androidx.annotation.RequiresApi, which the
// `android = true` Kotlin bindings put on their Android 14 cleaner, for scripts/bindings.sh's
// desktop compile. The app gets the real one from AndroidX.
package androidx.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.FIELD, ElementType.PACKAGE})
public @interface RequiresApi {
    int value() default 1;

    int api() default 1;
}
