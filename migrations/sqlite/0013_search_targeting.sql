-- Search finds ICPs by their targeting values too (job titles, seniority, skills, places,
-- industries, company keywords: store/list.rs `search_text_of`). Folding needs Unicode tables the
-- database does not have, so the app fills `search_text` in again at start, for every ICP.
UPDATE icps SET search_text = NULL;
