import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The mirror: one table per Tango resource family (full record as jsonb plus typed, indexed columns and
 * bookkeeping), the change-event outbox written in the same transactions, failed fetches, and the shared Tango
 * request budget that every replica paces itself by.
 */
export class CreateMirror1795335950972 implements MigrationInterface {
  name = 'CreateMirror1795335950972';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE contracts (
        key text PRIMARY KEY,
        piid text,
        award_date date,
        fiscal_year integer,
        obligated numeric,
        total_contract_value numeric,
        base_and_exercised_options_value numeric,
        naics_code text,
        psc_code text,
        description text,
        recipient_uei text,
        recipient_name text,
        awarding_agency_code text,
        awarding_department_code text,
        funding_agency_code text,
        parent_key text,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX contracts_piid ON contracts (piid)');
    await queryRunner.query('CREATE INDEX contracts_award_date ON contracts (award_date)');
    await queryRunner.query('CREATE INDEX contracts_fiscal_year ON contracts (fiscal_year)');
    await queryRunner.query('CREATE INDEX contracts_naics_code ON contracts (naics_code)');
    await queryRunner.query('CREATE INDEX contracts_psc_code ON contracts (psc_code)');
    await queryRunner.query('CREATE INDEX contracts_recipient_uei ON contracts (recipient_uei)');
    await queryRunner.query(
      'CREATE INDEX contracts_awarding_agency_code ON contracts (awarding_agency_code)',
    );
    await queryRunner.query('CREATE INDEX contracts_funding_agency_code ON contracts (funding_agency_code)');
    await queryRunner.query('CREATE INDEX contracts_parent_key ON contracts (parent_key)');
    await queryRunner.query('CREATE INDEX contracts_changed_at ON contracts (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE contracts IS 'tango-sync mirror of Tango /api/contracts/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE idvs (
        key text PRIMARY KEY,
        piid text,
        award_date date,
        fiscal_year integer,
        obligated numeric,
        total_contract_value numeric,
        base_and_exercised_options_value numeric,
        naics_code text,
        psc_code text,
        description text,
        recipient_uei text,
        recipient_name text,
        awarding_agency_code text,
        awarding_department_code text,
        funding_agency_code text,
        parent_key text,
        idv_type text,
        last_date_to_order date,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX idvs_piid ON idvs (piid)');
    await queryRunner.query('CREATE INDEX idvs_award_date ON idvs (award_date)');
    await queryRunner.query('CREATE INDEX idvs_fiscal_year ON idvs (fiscal_year)');
    await queryRunner.query('CREATE INDEX idvs_naics_code ON idvs (naics_code)');
    await queryRunner.query('CREATE INDEX idvs_psc_code ON idvs (psc_code)');
    await queryRunner.query('CREATE INDEX idvs_recipient_uei ON idvs (recipient_uei)');
    await queryRunner.query('CREATE INDEX idvs_awarding_agency_code ON idvs (awarding_agency_code)');
    await queryRunner.query('CREATE INDEX idvs_funding_agency_code ON idvs (funding_agency_code)');
    await queryRunner.query('CREATE INDEX idvs_parent_key ON idvs (parent_key)');
    await queryRunner.query('CREATE INDEX idvs_changed_at ON idvs (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE idvs IS 'tango-sync mirror of Tango /api/idvs/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE otas (
        key text PRIMARY KEY,
        piid text,
        award_date date,
        fiscal_year integer,
        obligated numeric,
        total_contract_value numeric,
        base_and_exercised_options_value numeric,
        naics_code text,
        psc_code text,
        description text,
        recipient_uei text,
        recipient_name text,
        awarding_agency_code text,
        awarding_department_code text,
        funding_agency_code text,
        parent_key text,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX otas_piid ON otas (piid)');
    await queryRunner.query('CREATE INDEX otas_award_date ON otas (award_date)');
    await queryRunner.query('CREATE INDEX otas_fiscal_year ON otas (fiscal_year)');
    await queryRunner.query('CREATE INDEX otas_naics_code ON otas (naics_code)');
    await queryRunner.query('CREATE INDEX otas_psc_code ON otas (psc_code)');
    await queryRunner.query('CREATE INDEX otas_recipient_uei ON otas (recipient_uei)');
    await queryRunner.query('CREATE INDEX otas_awarding_agency_code ON otas (awarding_agency_code)');
    await queryRunner.query('CREATE INDEX otas_funding_agency_code ON otas (funding_agency_code)');
    await queryRunner.query('CREATE INDEX otas_parent_key ON otas (parent_key)');
    await queryRunner.query('CREATE INDEX otas_changed_at ON otas (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE otas IS 'tango-sync mirror of Tango /api/otas/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE otidvs (
        key text PRIMARY KEY,
        piid text,
        award_date date,
        fiscal_year integer,
        obligated numeric,
        total_contract_value numeric,
        base_and_exercised_options_value numeric,
        naics_code text,
        psc_code text,
        description text,
        recipient_uei text,
        recipient_name text,
        awarding_agency_code text,
        awarding_department_code text,
        funding_agency_code text,
        parent_key text,
        idv_type text,
        last_date_to_order date,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX otidvs_piid ON otidvs (piid)');
    await queryRunner.query('CREATE INDEX otidvs_award_date ON otidvs (award_date)');
    await queryRunner.query('CREATE INDEX otidvs_fiscal_year ON otidvs (fiscal_year)');
    await queryRunner.query('CREATE INDEX otidvs_naics_code ON otidvs (naics_code)');
    await queryRunner.query('CREATE INDEX otidvs_psc_code ON otidvs (psc_code)');
    await queryRunner.query('CREATE INDEX otidvs_recipient_uei ON otidvs (recipient_uei)');
    await queryRunner.query('CREATE INDEX otidvs_awarding_agency_code ON otidvs (awarding_agency_code)');
    await queryRunner.query('CREATE INDEX otidvs_funding_agency_code ON otidvs (funding_agency_code)');
    await queryRunner.query('CREATE INDEX otidvs_parent_key ON otidvs (parent_key)');
    await queryRunner.query('CREATE INDEX otidvs_changed_at ON otidvs (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE otidvs IS 'tango-sync mirror of Tango /api/otidvs/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE opportunities (
        opportunity_id uuid PRIMARY KEY,
        title text,
        solicitation_number text,
        active boolean,
        first_notice_date timestamptz,
        last_notice_date timestamptz,
        response_deadline timestamptz,
        naics_code text,
        psc_code text,
        set_aside_code text,
        agency_code text,
        department_code text,
        latest_notice_id text,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query(
      'CREATE INDEX opportunities_solicitation_number ON opportunities (solicitation_number)',
    );
    await queryRunner.query('CREATE INDEX opportunities_active ON opportunities (active)');
    await queryRunner.query(
      'CREATE INDEX opportunities_first_notice_date ON opportunities (first_notice_date)',
    );
    await queryRunner.query(
      'CREATE INDEX opportunities_last_notice_date ON opportunities (last_notice_date)',
    );
    await queryRunner.query(
      'CREATE INDEX opportunities_response_deadline ON opportunities (response_deadline)',
    );
    await queryRunner.query('CREATE INDEX opportunities_naics_code ON opportunities (naics_code)');
    await queryRunner.query('CREATE INDEX opportunities_psc_code ON opportunities (psc_code)');
    await queryRunner.query('CREATE INDEX opportunities_agency_code ON opportunities (agency_code)');
    await queryRunner.query('CREATE INDEX opportunities_changed_at ON opportunities (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE opportunities IS 'tango-sync mirror of Tango /api/opportunities/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE notices (
        notice_id uuid PRIMARY KEY,
        opportunity_id text,
        title text,
        solicitation_number text,
        active boolean,
        posted_date timestamptz,
        last_updated timestamptz,
        response_deadline timestamptz,
        naics_code text,
        psc_code text,
        set_aside_code text,
        agency_code text,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX notices_opportunity_id ON notices (opportunity_id)');
    await queryRunner.query('CREATE INDEX notices_solicitation_number ON notices (solicitation_number)');
    await queryRunner.query('CREATE INDEX notices_posted_date ON notices (posted_date)');
    await queryRunner.query('CREATE INDEX notices_last_updated ON notices (last_updated)');
    await queryRunner.query('CREATE INDEX notices_response_deadline ON notices (response_deadline)');
    await queryRunner.query('CREATE INDEX notices_naics_code ON notices (naics_code)');
    await queryRunner.query('CREATE INDEX notices_psc_code ON notices (psc_code)');
    await queryRunner.query('CREATE INDEX notices_agency_code ON notices (agency_code)');
    await queryRunner.query('CREATE INDEX notices_changed_at ON notices (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE notices IS 'tango-sync mirror of Tango /api/notices/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE entities (
        uei text PRIMARY KEY,
        legal_business_name text,
        dba_name text,
        cage_code text,
        primary_naics text,
        registration_status text,
        last_update_date date,
        state_code text,
        country_code text,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX entities_legal_business_name ON entities (legal_business_name)');
    await queryRunner.query('CREATE INDEX entities_cage_code ON entities (cage_code)');
    await queryRunner.query('CREATE INDEX entities_primary_naics ON entities (primary_naics)');
    await queryRunner.query('CREATE INDEX entities_last_update_date ON entities (last_update_date)');
    await queryRunner.query('CREATE INDEX entities_state_code ON entities (state_code)');
    await queryRunner.query('CREATE INDEX entities_changed_at ON entities (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE entities IS 'tango-sync mirror of Tango /api/entities/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE grants (
        grant_id bigint PRIMARY KEY,
        opportunity_number text,
        agency_code text,
        title text,
        status_code text,
        posted_date date,
        response_date date,
        last_updated timestamptz,
        award_ceiling numeric,
        estimated_total_funding numeric,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX grants_opportunity_number ON grants (opportunity_number)');
    await queryRunner.query('CREATE INDEX grants_agency_code ON grants (agency_code)');
    await queryRunner.query('CREATE INDEX grants_status_code ON grants (status_code)');
    await queryRunner.query('CREATE INDEX grants_posted_date ON grants (posted_date)');
    await queryRunner.query('CREATE INDEX grants_response_date ON grants (response_date)');
    await queryRunner.query('CREATE INDEX grants_last_updated ON grants (last_updated)');
    await queryRunner.query('CREATE INDEX grants_changed_at ON grants (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE grants IS 'tango-sync mirror of Tango /api/grants/: full record in "record", typed columns for queries'`,
    );
    await queryRunner.query(`
      CREATE TABLE forecasts (
        id bigint PRIMARY KEY,
        source_system text,
        external_id text,
        agency text,
        title text,
        anticipated_award_date date,
        fiscal_year integer,
        naics_code text,
        is_active boolean,
        status text,
        created timestamptz,
        modified timestamptz,
        record jsonb NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        fetched_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        source_modified_at timestamptz,
        deleted_at timestamptz
      )
    `);
    await queryRunner.query('CREATE INDEX forecasts_source_system ON forecasts (source_system)');
    await queryRunner.query('CREATE INDEX forecasts_external_id ON forecasts (external_id)');
    await queryRunner.query('CREATE INDEX forecasts_agency ON forecasts (agency)');
    await queryRunner.query(
      'CREATE INDEX forecasts_anticipated_award_date ON forecasts (anticipated_award_date)',
    );
    await queryRunner.query('CREATE INDEX forecasts_fiscal_year ON forecasts (fiscal_year)');
    await queryRunner.query('CREATE INDEX forecasts_naics_code ON forecasts (naics_code)');
    await queryRunner.query('CREATE INDEX forecasts_modified ON forecasts (modified)');
    await queryRunner.query('CREATE INDEX forecasts_changed_at ON forecasts (changed_at)');
    await queryRunner.query(
      `COMMENT ON TABLE forecasts IS 'tango-sync mirror of Tango /api/forecasts/: full record in "record", typed columns for queries'`,
    );

    await queryRunner.query(`
      CREATE TABLE change_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL,
        resource text NOT NULL,
        record_id text NOT NULL,
        change_type text NOT NULL CHECK (change_type IN ('created', 'updated', 'deleted', 'snapshot')),
        version integer NOT NULL,
        previous_hash text,
        hash text,
        changed_fields text[] NOT NULL DEFAULT '{}',
        record jsonb,
        provenance jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        lane smallint NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published')),
        published_at timestamptz,
        CONSTRAINT change_events_event_id_unique UNIQUE (event_id)
      )
    `);
    // Relays claim whole lanes (hash of the record key) in id order, so each record's events leave in order.
    await queryRunner.query(
      `CREATE INDEX change_events_pending ON change_events (lane, id) WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX change_events_record ON change_events (resource, record_id, version)`,
    );

    await queryRunner.query(`
      CREATE TABLE fetch_failures (
        resource text NOT NULL,
        record_id text NOT NULL,
        id_kind text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('error', 'not_found', 'unresolvable', 'filter_ignored')),
        attempts integer NOT NULL DEFAULT 1,
        first_failed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_failed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_status integer,
        last_error text,
        dead_lettered_at timestamptz,
        redriven_at timestamptz,
        resolved_at timestamptz,
        PRIMARY KEY (resource, record_id)
      )
    `);
    await queryRunner.query(
      `CREATE INDEX fetch_failures_open ON fetch_failures (last_failed_at) WHERE resolved_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE tango_request_budget (
        account text PRIMARY KEY,
        burst_limit integer,
        burst_remaining integer,
        burst_reset_at timestamptz,
        burst_window_seconds integer,
        daily_limit integer,
        daily_remaining integer,
        daily_reset_at timestamptz,
        daily_window_seconds integer,
        parked_until timestamptz,
        parked_reason text,
        requests_total bigint NOT NULL DEFAULT 0,
        throttled_total bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE tango_request_budget');
    await queryRunner.query('DROP TABLE fetch_failures');
    await queryRunner.query('DROP TABLE change_events');
    await queryRunner.query('DROP TABLE forecasts');
    await queryRunner.query('DROP TABLE grants');
    await queryRunner.query('DROP TABLE entities');
    await queryRunner.query('DROP TABLE notices');
    await queryRunner.query('DROP TABLE opportunities');
    await queryRunner.query('DROP TABLE otidvs');
    await queryRunner.query('DROP TABLE otas');
    await queryRunner.query('DROP TABLE idvs');
    await queryRunner.query('DROP TABLE contracts');
  }
}
