// The Trellis Android sample: a Compose app over the Rust core through the generated uniffi
// Kotlin bindings. Run ./build-native.sh first (it builds the .so files and generates the
// bindings), then open this folder in Android Studio.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

plugins {
    // Resolves (and downloads if missing) the JDK 17 that core-ui's and bindings-jvm's
    // `jvmToolchain(17)` ask for; without a resolver Gradle sync fails when the IDE's JDK is
    // another version. Same version as `foojay` in gradle/libs.versions.toml.
    id("org.gradle.toolchains.foojay-resolver-convention") version "0.9.0"
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "trellis-android-sample"
include(":app", ":core-ui", ":bindings-jvm")
