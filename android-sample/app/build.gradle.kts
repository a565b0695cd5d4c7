plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "org.trellis.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.trellis.sample"
        minSdk = 26 // java.time in core-ui's formatting
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The ABIs ../build-native.sh builds into src/main/jniLibs.
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    sourceSets["main"].java.srcDir("src/generated/kotlin") // uniffi Kotlin, android = true

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
    buildFeatures { compose = true }
    packaging {
        // Native libraries stay uncompressed and page-aligned in the APK, so they load from it
        // directly on 16 KB-page devices (AGP 8.5.1+ aligns them to 16 KB in the zip).
        jniLibs { useLegacyPackaging = false }
    }
}

dependencies {
    implementation(project(":core-ui"))
    // JNA with its Android native part (the .aar), which the generated bindings load; 5.17+
    // for a libjnidispatch.so aligned to 16 KB pages.
    implementation("${libs.jna.get()}@aar")
    implementation(libs.kotlinx.coroutines.android)

    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.material.icons)
    implementation(libs.androidx.compose.ui.tooling.preview)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.process)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.viewmodel.savedstate)
    implementation(libs.androidx.work.runtime)
    implementation(libs.zxing.core) // the invite's QR code
    implementation(libs.androidx.navigation.compose)
    debugImplementation(libs.androidx.compose.ui.tooling)
}
