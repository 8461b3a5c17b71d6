/* Owns what the plugin reads from the network configuration on stdin: the top-level keys
 * cniVersion, agentSocket and timeoutSeconds. Everything else is the agent's to parse. */
#ifndef PALISADE_CNI_CONFIG_H
#define PALISADE_CNI_CONFIG_H

#include <stddef.h>

#define CONFIG_DEFAULT_SOCKET "/run/palisade/cni.sock" /* wire/cni-socket.ts DEFAULT_CNI_SOCKET */
#define CONFIG_DEFAULT_TIMEOUT 120
#define CONFIG_MAX_TIMEOUT 600
#define CONFIG_VERSION_MAX 32
#define CONFIG_SOCKET_MAX 108 /* sizeof(sun_path), NUL included */

struct plugin_config {
	/* The config's cniVersion when it is a short plain version string, else "1.0.0": errors
	 * written by the plugin itself carry it. */
	char cni_version[CONFIG_VERSION_MAX];
	char agent_socket[CONFIG_SOCKET_MAX];
	int timeout_seconds;
	/* Set when agentSocket or timeoutSeconds is present but unusable; names the problem. */
	const char *invalid;
};

/* Fills cfg from the configuration bytes. Invalid JSON leaves the defaults (the agent reports
 * it); valid JSON with an unusable agentSocket or timeoutSeconds sets cfg->invalid. */
void config_scan(const char *json, size_t len, struct plugin_config *cfg);

#endif
