<?php
/**
 * ReproWebhook: posts MantisBT issue events to repro (POST /v1/webhooks/mantis).
 *
 * Body: {"event": "report|update|bulk|note|delete", "user": {"id", "name"}, "issue": <the issue
 * as GET /api/rest/issues/{id} returns it>, "note"?: {"id", "text", "view_state"}}, signed
 * X-Mantis-Signature: sha256=<hex HMAC-SHA256(secret, body)>. A failed delivery is logged and
 * never blocks the MantisBT action that caused it.
 */
class ReproWebhookPlugin extends MantisPlugin {
	function register() {
		$this->name = 'Repro webhook';
		$this->description = 'Sends issue events to repro, which attaches reproduction environments to issues.';
		$this->version = '1.0.0';
		$this->requires = array( 'MantisCore' => '2.3.0' );
		$this->author = 'repro';
		$this->page = '';
	}

	function config() {
		// Set with: config_set( 'plugin_ReproWebhook_url', ... ) or in config_inc.php, see README.md.
		return array( 'url' => '', 'secret' => '', 'timeout' => 5 );
	}

	function hooks() {
		return array(
			'EVENT_REPORT_BUG'  => 'on_report',  # (BugData $bug, int $bug_id)
			'EVENT_UPDATE_BUG'  => 'on_update',  # (BugData $old, BugData $new)
			'EVENT_BUGNOTE_ADD' => 'on_note',    # (int $bug_id, int $bugnote_id, ...)
			'EVENT_BUG_ACTION'  => 'on_bulk',    # (string $action, int $bug_id)
			'EVENT_BUG_DELETED' => 'on_delete',  # (int $bug_id)
		);
	}

	function on_report( $p_event, $p_bug, $p_bug_id ) {
		$this->send( 'report', $this->issue( $p_bug_id ) );
	}

	function on_update( $p_event, $p_old, $p_new ) {
		$this->send( 'update', $this->issue( $p_new->id ) );
	}

	function on_note( $p_event, $p_bug_id, $p_bugnote_id ) {
		$t_note = array(
			'id' => (int)$p_bugnote_id,
			'text' => bugnote_get_text( $p_bugnote_id ),
			'view_state' => array( 'name' => bugnote_get_field( $p_bugnote_id, 'view_state' ) == VS_PRIVATE ? 'private' : 'public' ),
		);
		$this->send( 'note', $this->issue( $p_bug_id ), $t_note );
	}

	function on_bulk( $p_event, $p_action, $p_bug_id ) {
		$this->send( 'bulk', $this->issue( $p_bug_id ) );
	}

	function on_delete( $p_event, $p_bug_id ) {
		# The issue is gone; its id is all there is to say.
		$this->send( 'delete', array( 'id' => (int)$p_bug_id ) );
	}

	/** The REST representation of an issue, built by the same function the REST API uses. */
	private function issue( $p_bug_id ) {
		require_once( config_get_global( 'absolute_path' ) . 'api/soap/mc_core.php' );
		ApiObjectFactory::$soap = false;
		$t_bug = bug_get( $p_bug_id, true );
		return mci_issue_data_as_array( $t_bug, auth_get_current_user_id(), lang_get_current() );
	}

	private function send( $p_event, $p_issue, $p_note = null ) {
		$t_url = plugin_config_get( 'url' );
		$t_secret = plugin_config_get( 'secret' );
		if( is_blank( $t_url ) || is_blank( $t_secret ) ) {
			return;
		}
		$t_user_id = auth_get_current_user_id();
		$t_payload = array(
			'event' => $p_event,
			# Signed with the body: repro refuses a delivery replayed minutes later.
			'sent_at' => time(),
			'user' => array( 'id' => (int)$t_user_id, 'name' => user_get_name( $t_user_id ) ),
			'issue' => $p_issue,
		);
		if( $p_note !== null ) {
			$t_payload['note'] = $p_note;
		}
		$t_body = json_encode( $t_payload );
		$t_curl = curl_init( $t_url );
		curl_setopt_array( $t_curl, array(
			CURLOPT_POST => true,
			CURLOPT_POSTFIELDS => $t_body,
			CURLOPT_RETURNTRANSFER => true,
			CURLOPT_TIMEOUT => (int)plugin_config_get( 'timeout' ),
			CURLOPT_HTTPHEADER => array(
				'Content-Type: application/json',
				'X-Mantis-Signature: sha256=' . hash_hmac( 'sha256', $t_body, $t_secret ),
			),
		) );
		curl_exec( $t_curl );
		$t_status = curl_getinfo( $t_curl, CURLINFO_HTTP_CODE );
		if( curl_errno( $t_curl ) || $t_status >= 300 ) {
			log_event( LOG_PLUGIN, 'ReproWebhook: ' . $p_event . ' for issue ' . $p_issue['id'] . ' failed: HTTP ' . $t_status . ' ' . curl_error( $t_curl ) );
		}
		curl_close( $t_curl );
	}
}
