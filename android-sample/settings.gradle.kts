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

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "trellis-android-sample"
include(":app", ":core-ui", ":bindings-jvm")
